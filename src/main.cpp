// gatehouse: a Caddyfile web server. The command line is src/cli/dispatch.cpp's.

#include <string>
#include <vector>

#include "cli/command.h"

int main(int argc, char** argv) {
  return gatehouse::cli::dispatch(std::vector<std::string>(argv + 1, argv + argc));
}
