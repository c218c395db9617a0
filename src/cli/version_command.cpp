#include <iostream>

#include "cli/command.h"

namespace gatehouse::cli {

int runVersion(const std::vector<std::string>& args) {
  Flags flags;  // none but --help, as caddy's; arguments are ignored
  if (!parseFlags(args, {}, {}, flags, "version")) {
    return 1;
  }
  std::cout << "gatehouse " << GATEHOUSE_VERSION << "\n";
  return 0;
}

}  // namespace gatehouse::cli
