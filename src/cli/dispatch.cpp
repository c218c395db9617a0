// The top of the command line, as caddy's (cobra's): help with no arguments, `help CMD`,
// `CMD --help`, and caddy's errors and exit 1 for an unknown command (with its "Did you
// mean this?" suggestions) or a flag before any command.

#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace gatehouse::cli {

namespace {

constexpr std::string_view kHelpUsage =
    "Help provides help for any command in the application.\n"
    "Simply type gatehouse help [path to command] for full details.\n\n"
    "usage: gatehouse help [command]\n";

void printHelp(std::ostream& out) {
  out << "Gatehouse: a Caddyfile web server with automatic HTTPS\n\n"
         "usage: gatehouse <command> [flags]\n\ncommands:\n";
  for (const auto& c : commands()) {
    out << "  " << c.name << std::string(14 - c.name.size(), ' ') << c.summary << "\n";
  }
  out << "  help          Show help for a command\n\n"
         "'gatehouse <command> --help' describes a command's flags.\n";
}

const Command* find(std::string_view name) {
  for (const auto& c : commands()) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return out;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Cobra's suggestions: a command within two edits of the typed name, or one it begins.
std::vector<std::string> suggestionsFor(const std::string& typed) {
  std::vector<std::string> names = {"help"};
  for (const auto& c : commands()) {
    names.emplace_back(c.name);
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  const std::string t = lower(typed);
  for (const auto& n : names) {
    if (editDistance(t, n) <= 2 || n.starts_with(t)) {
      out.push_back(n);
    }
  }
  return out;
}

// Caddy's newer commands and Go-build features that 2.6.2 lacks too: said why, not just unknown.
std::string_view whyMissing(std::string_view name) {
  if (name == "add-package" || name == "remove-package" || name == "upgrade") {
    return "Gatehouse is one C++ binary with every module built in: there are no plugin packages "
           "to add or remove and no build server to fetch a new binary from; upgrade by installing "
           "a newer Gatehouse build.\n";
  }
  if (name == "storage") {
    return "caddy 2.6.2 has no 'storage' command either; certificates and keys are plain files "
           "under the storage directory ('gatehouse environ' names it).\n";
  }
  return {};
}

int unknownCommand(const std::string& name) {
  std::cerr << "Error: unknown command \"" << name << "\" for \"gatehouse\"\n";
  if (const auto suggestions = suggestionsFor(name); !suggestions.empty()) {
    std::cerr << "\nDid you mean this?\n";
    for (const auto& s : suggestions) {
      std::cerr << "\t" << s << "\n";
    }
    std::cerr << "\n";
  }
  std::cerr << whyMissing(name) << "Run 'gatehouse --help' for usage.\n";
  return 1;
}

// `help [CMD]`: flags first (only -h/--help exist), then the topic.
int runHelp(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {}, {}, flags, "help")) {
    return 1;
  }
  if (flags.positional.empty()) {
    if (wantsHelp(args)) {
      std::cout << kHelpUsage;
    } else {
      printHelp(std::cout);
    }
    return 0;
  }
  const std::string& topic = flags.positional[0];
  if (topic == "help") {
    std::cout << kHelpUsage;
    return 0;
  }
  if (const Command* c = find(topic)) {
    std::cout << c->usage;
    return 0;
  }
  std::cerr << "Unknown help topic [`" << topic << "`]\n";
  printHelp(std::cerr);
  return 0;  // as cobra: an unknown topic is not an error
}

}  // namespace

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) {
    printHelp(std::cout);
    return 0;
  }
  const std::string& first = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (first == "help") {
    return runHelp(rest);
  }
  if (first == "__complete") {  // hidden: the completion scripts' callback
    return runComplete(rest);
  }
  if (first.size() > 1 && first[0] == '-') {
    Flags flags;  // only -h/--help exist before a command
    if (!parseFlags(args, {}, {}, flags, "")) {
      return 1;
    }
    if (!flags.positional.empty()) {
      return dispatch(flags.positional);  // e.g. `gatehouse -h run` is `gatehouse run`'s help
    }
    printHelp(std::cout);
    return 0;
  }
  const Command* c = find(first);
  if (c == nullptr) {
    return unknownCommand(first);
  }
  if (wantsHelp(rest)) {
    // as cobra: a bad flag beside --help is still an error (the flags its usage names)
    std::vector<std::string> valueFlags;
    std::vector<std::string> switches;
    Flags flags;
    if (flagsFromUsage(*c, valueFlags, switches) && !parseFlags(rest, valueFlags, switches, flags, c->name)) {
      return 1;
    }
    std::cout << c->usage;
    return 0;
  }
  return c->run(rest);
}

}  // namespace gatehouse::cli
