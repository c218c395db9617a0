// gatehouse: a Caddyfile web server. Dispatches to the subcommand named first.

#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace {

void printHelp(std::ostream& out) {
  out << "Gatehouse: a Caddyfile web server with automatic HTTPS\n\n"
         "usage: gatehouse <command> [flags]\n\ncommands:\n";
  for (const auto& c : gatehouse::cli::commands()) {
    out << "  " << c.name << std::string(14 - c.name.size(), ' ') << c.summary << "\n";
  }
  out << "  help          Show help for a command\n\n"
         "'gatehouse <command> --help' describes a command's flags.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    if (args.size() > 1) {
      for (const auto& c : gatehouse::cli::commands()) {
        if (c.name == args[1]) {
          std::cout << c.usage;
          return 0;
        }
      }
    }
    printHelp(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "__complete") {  // hidden: the completion script's callback
    return gatehouse::cli::runComplete(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "--version") {
    args[0] = "version";
  }
  for (const auto& c : gatehouse::cli::commands()) {
    if (c.name == args[0]) {
      std::vector<std::string> rest(args.begin() + 1, args.end());
      if (gatehouse::cli::wantsHelp(rest)) {
        std::cout << c.usage;
        return 0;
      }
      return c.run(rest);
    }
  }
  std::cerr << "gatehouse: unknown command '" << args[0] << "'\n\n";
  printHelp(std::cerr);
  return 2;
}
