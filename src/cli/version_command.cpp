#include <iostream>

#include "cli/command.h"

namespace gatehouse::cli {

int runVersion(const std::vector<std::string>& /*args*/) {
  std::cout << "gatehouse " << GATEHOUSE_VERSION << "\n";
  return 0;
}

}  // namespace gatehouse::cli
