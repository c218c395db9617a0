#pragma once
// Subcommands of the gatehouse binary. Each lives in its own file and registers in
// commands.cpp.

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::cli {

struct Command {
  std::string_view name;
  std::string_view summary;
  std::string_view usage;  // full --help text
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& commands();

// Runs the command line after the program name, as caddy's (cobra's) does; the exit status.
int dispatch(const std::vector<std::string>& args);

// The hidden `__complete` command the completion script calls (cobra's protocol).
int runComplete(const std::vector<std::string>& args);

// Parsed "--flag value" / "--flag=value" / "--switch" arguments, as caddy's pflag parses
// them. Unknown flags are errors.
struct Flags {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> values;
  bool has(std::string_view name) const;
  std::string get(std::string_view name, std::string fallback = {}) const;
};
// `valueFlags` take a value, `switches` do not. Returns false after printing caddy's error text
// ("Error: unknown flag: --x"...) on bad input; the command then exits 1, as caddy.
bool parseFlags(const std::vector<std::string>& args, const std::vector<std::string>& valueFlags,
                const std::vector<std::string>& switches, Flags& out, std::string_view command);

// Reads a whole file; "-" reads standard input. Throws std::runtime_error with Go's text for a
// file that cannot be opened ("open FILE: no such file or directory"), as caddy prints it.
std::string readFileOrStdin(const std::string& path);

bool wantsHelp(const std::vector<std::string>& args);

// The flags a command's usage text names (as completion offers them), split into those that
// take a value and switches, without the leading "--".
bool flagsFromUsage(const Command& c, std::vector<std::string>& valueFlags,
                    std::vector<std::string>& switches);

}  // namespace gatehouse::cli
