// TEMPORARY placeholder until the formatter lands (same session).
#include <iostream>
#include "cli/command.h"
namespace gatehouse::cli {
int runFmt(const std::vector<std::string>&) { std::cerr << "fmt: not built yet\n"; return 1; }
}  // namespace gatehouse::cli
