// gatehouse respond: caddy's hard-coded responder for development (`caddy respond --listen
// :8000-8002 "server {{.N}}"`): the same servers from the same flags, their bound addresses
// printed, served until stopped.

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <iostream>
#include <iterator>

#include "cli/bool_flag.h"
#include "cli/command.h"
#include "cli/serve_loaded.h"
#include "gatehouse/parser/command_configs.h"
#include "server/server_group.h"

namespace gatehouse::cli {

namespace {

// Go's strconv.Atoi.
bool atoi(const std::string& s, long long& out) {
  size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
  if (s.size() <= i || s.size() > 19 || s.find_first_not_of("0123456789", i) != std::string::npos) {
    return false;
  }
  out = std::stoll(s);
  return true;
}

// The unflagged argument: a status code when it is a number (used only within 100..999),
// else the body; caddy's own refusals. False with the error printed.
bool applyArgument(const std::vector<std::string>& args, const Flags& flags, parser::RespondCommand& cmd) {
  if (flags.positional.size() > 1) {
    std::cerr << "Error: too many unflagged arguments\n";
    return false;
  }
  const std::string arg = flags.positional.empty() ? "" : flags.positional[0];
  if (arg.empty()) {
    return true;
  }
  // as caddy, only a separate "--status" word counts as the flag being given
  bool statusGiven = false;
  for (const auto& a : args) {
    statusGiven = statusGiven || a == "--status";
  }
  if (!cmd.body.empty() && statusGiven) {
    std::cerr << "Error: unflagged argument \"" << arg << "\" is overridden by flags\n";
    return false;
  }
  long long number = 0;
  if (atoi(arg, number) && !statusGiven) {
    if (number >= 100 && number <= 999) {
      cmd.status = static_cast<int>(number);
    }
  } else if (cmd.body.empty()) {
    cmd.body = arg;
  }
  return true;
}

// pflag's int flag: Go's strconv.ParseInt(s, 0, 64), so "0x1F4" is 500, "0200" octal 128
// and "1_000" 1000 (underscores between digits once a base is implied).
bool parseIntBase0(std::string s, long long& out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.erase(0, 1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
    s.erase(0, p == 'x' || p == 'o' || p == 'b' ? 2 : 1);
  }
  std::string digits;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      const bool between = i + 1 < s.size() && s[i + 1] != '_' && (i > 0 || base != 10);
      if (!between) {
        return false;
      }
      continue;
    }
    digits += s[i];
  }
  if (digits.empty() || digits.size() > 64) {
    return false;
  }
  unsigned long long value = 0;
  for (char c : digits) {
    const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : std::isxdigit(static_cast<unsigned char>(c))
                      ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                      : 99;
    if (d >= base || value > (static_cast<unsigned long long>(INT64_MAX) + 1 - d) / base) {
      return false;
    }
    value = value * base + d;
  }
  if (value > static_cast<unsigned long long>(INT64_MAX) + (negative ? 1 : 0)) {
    return false;
  }
  out = negative ? static_cast<long long>(0 - value) : static_cast<long long>(value);
  return true;
}

// Flags into `cmd`; false with the error printed.
bool readCommand(const std::vector<std::string>& args, const Flags& flags, parser::RespondCommand& cmd) {
  cmd.listen = flags.get("listen", cmd.listen);
  cmd.body = flags.get("body");
  cmd.accessLog = boolFlag(flags, "access-log");
  cmd.debug = boolFlag(flags, "debug");
  if (flags.has("status")) {
    long long status = 0;
    const std::string text = flags.get("status");
    if (!parseIntBase0(text, status)) {
      std::cerr << "Error: invalid argument \"" << text << "\" for \"--status\" flag: parse error\n";
      return false;
    }
    cmd.status = static_cast<int>(status);
  }
  for (const auto& [name, value] : flags.values) {
    if (name == "header") {
      cmd.headers.push_back(value);  // whole: 2.6.2 does not split a value at commas
    }
  }
  if (!applyArgument(args, flags, cmd)) {
    return false;
  }
  // still no body: a pipe on stdin gives it (a terminal or a file does not, as caddy)
  struct stat st {};
  if (cmd.body.empty() && ::fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)) {
    cmd.body.assign(std::istreambuf_iterator<char>(std::cin), {});
  }
  return true;
}

}  // namespace

int runRespond(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"listen", "status", "body", "header", "workers"}, {"access-log", "debug"}, flags,
                  "respond")) {
    return 1;
  }
  parser::RespondCommand cmd;
  if (!readCommand(args, flags, cmd)) {
    return 1;
  }
  LoadedConfig loaded;
  if (!loadBuiltConfig([&] { return parser::respondCommandConfig(cmd); }, loaded)) {
    return 1;
  }
  server::RunOptions options;
  if (!workerCount(flags.get("workers"), options.workers)) {
    return 1;
  }
  options.onServing = [](const config::Json& addresses, std::string&) {
    for (const auto& address : addresses) {
      std::cout << "Server address: " << address.get<std::string>() << "\n";
    }
    std::cout.flush();
    return true;
  };
  return serveLoaded(loaded, "respond", options);
}

}  // namespace gatehouse::cli
