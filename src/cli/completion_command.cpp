// Shell completion as caddy's (cobra's) protocol: `gatehouse completion SHELL` prints a script
// that asks `gatehouse __complete <words...> <partial>` for candidates, one "word\tdescription"
// per line, then ":N", N the directive (4: no file names; 0: the shell's default, files).
// Commands and their flags come from the command table and its usage texts.

#include <algorithm>
#include <iostream>
#include <regex>
#include <set>
#include <string>

#include "cli/command.h"
#include "cli/completion_scripts.h"

namespace gatehouse::cli {

namespace {

constexpr int kDefault = 0;
constexpr int kNoFiles = 4;

struct FlagInfo {
  std::string name;  // "--listen"
  std::string description;
  bool takesValue = false;
  bool repeatable = false;
};

// The flags a usage text names: its synopsis ("[--config FILE]", "[--to UPSTREAM...]") says
// which take a value and which repeat; its flag lines ("  --config FILE   the config...")
// give the descriptions.
std::vector<FlagInfo> flagsOf(const Command& c) {
  std::vector<FlagInfo> flags;
  auto find = [&flags](const std::string& name) -> FlagInfo& {
    for (auto& f : flags) {
      if (f.name == name) {
        return f;
      }
    }
    flags.push_back(FlagInfo{name, "", false, false});
    return flags.back();
  };
  const std::string usage(c.usage);
  static const std::regex kUse(
      R"((--[a-z][a-z-]*)([ =](?:[A-Z][A-Z_|]*|'[^']*'|[a-z|]+\|[a-z|]+))?(\.\.\.)?)");
  for (std::sregex_iterator it(usage.begin(), usage.end(), kUse), end; it != end; ++it) {
    FlagInfo& f = find((*it)[1]);
    f.takesValue = f.takesValue || (*it)[2].matched;
    f.repeatable = f.repeatable || (*it)[3].matched;
  }
  static const std::regex kLine(R"(^ +(--[a-z][a-z-]*)[^\n]*? {2,}([^ \n][^\n]*)$)");
  size_t start = 0;
  while (start < usage.size()) {
    size_t end = usage.find('\n', start);
    end = end == std::string::npos ? usage.size() : end;
    const std::string line = usage.substr(start, end - start);
    std::smatch m;
    if (std::regex_match(line, m, kLine)) {
      FlagInfo& f = find(m[1]);
      if (f.description.empty()) {
        f.description = m[2];
      }
    }
    start = end + 1;
  }
  flags.push_back(FlagInfo{"--help", "help for " + std::string(c.name), false, false});
  for (auto& f : flags) {
    if (f.name == "--workers" && f.description.empty()) {
      f.description = "event-loop threads (default: one per core)";
    }
  }
  std::sort(flags.begin(), flags.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return flags;
}

const Command* commandNamed(const std::string& name) {
  for (const auto& c : commands()) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

// Sorted by name, as cobra lists them.
void listCommands(const std::string& partial) {
  std::vector<std::pair<std::string_view, std::string_view>> all = {{"help", "Help about any command"}};
  for (const auto& c : commands()) {
    all.emplace_back(c.name, c.summary);
  }
  std::sort(all.begin(), all.end());
  for (const auto& [name, summary] : all) {
    if (name.starts_with(partial)) {
      std::cout << name << "\t" << summary << "\n";
    }
  }
}

// Candidates for the last word, given the words before it; returns the directive.
int complete(const std::vector<std::string>& words, const std::string& partial) {
  if (words.empty() || words[0] == "help") {
    if (words.size() <= 1) {
      listCommands(partial);
    }
    return kNoFiles;
  }
  const Command* c = commandNamed(words[0]);
  if (c == nullptr) {
    return kDefault;
  }
  const auto flags = flagsOf(*c);
  if (!partial.empty() && partial[0] == '-' && partial.find('=') == std::string::npos) {
    const std::set<std::string> used(words.begin() + 1, words.end());
    for (const auto& f : flags) {
      if (f.name.starts_with(partial) && (f.repeatable || used.count(f.name) == 0)) {
        std::cout << f.name << "\t" << f.description << "\n";
      }
    }
    return kNoFiles;
  }
  if (c->name == "completion") {
    for (std::string_view shell : {"bash", "zsh", "fish", "powershell"}) {
      if (words.size() == 1 && shell.starts_with(partial)) {
        std::cout << shell << "\n";
      }
    }
    return kNoFiles;
  }
  return kDefault;  // a flag's value or an argument: the shell's own (file names)
}

}  // namespace

bool flagsFromUsage(const Command& c, std::vector<std::string>& valueFlags,
                    std::vector<std::string>& switches) {
  for (const auto& f : flagsOf(c)) {
    (f.takesValue ? valueFlags : switches).push_back(f.name.substr(2));
  }
  return true;
}

int runComplete(const std::vector<std::string>& args) {
  if (args.empty()) {
    return 0;
  }
  const std::vector<std::string> words(args.begin(), args.end() - 1);
  const int directive = complete(words, args.back());
  std::cout << ":" << directive << "\n";
  std::cerr << "Completion ended with directive: "
            << (directive == kNoFiles ? "ShellCompDirectiveNoFileComp" : "ShellCompDirectiveDefault") << "\n";
  return 0;
}

int runCompletion(const std::vector<std::string>& args) {
  Flags flags;  // none but --help, as caddy's
  if (!parseFlags(args, {}, {}, flags, "completion")) {
    return 1;
  }
  if (flags.positional.size() != 1) {
    std::cerr << "Error: accepts 1 arg(s), received " << flags.positional.size() << "\n";
    return 1;
  }
  if (const std::string_view script = completionScript(flags.positional[0]); !script.empty()) {
    std::cout << script;
    return 0;
  }
  std::cerr << "Error: invalid argument \"" << flags.positional[0] << "\" for \"gatehouse completion\"\n";
  return 1;
}

}  // namespace gatehouse::cli
