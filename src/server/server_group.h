#pragma once
// Binds every server's listeners, starts the workers and runs until SIGINT/SIGTERM, then
// stops gracefully. Main thread.

#include <memory>
#include <string>

#include "provision/runtime.h"

namespace gatehouse::server {

struct RunOptions {
  unsigned workers = 0;  // 0: one per core
};

// Returns the process exit code. Prints the startup line
// {"level":"info",...,"msg":"serving initial configuration","addresses":[...]} on stderr
// once every listener is bound.
int serve(std::shared_ptr<const provision::Runtime> runtime, const RunOptions& options);

}  // namespace gatehouse::server
