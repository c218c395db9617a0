#pragma once
// `gatehouse environ` and `run --environ`: the directories and environment the process sees,
// printed as `caddy environ` prints them (its own values first, a blank line, then every
// environment variable), for troubleshooting a service's setup.

#include <ostream>

namespace gatehouse::cli {

void printEnvironment(std::ostream& out);

}  // namespace gatehouse::cli
