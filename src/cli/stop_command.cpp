// gatehouse stop: asks the running server to stop gracefully through its admin endpoint
// (POST /stop), as `caddy stop` does. The address: --address, else the admin address of
// --config when given, else localhost:2019.

#include <iostream>

#include "cli/admin_client.h"
#include "cli/command.h"
#include "cli/config_loader.h"

namespace gatehouse::cli {

int runStop(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "address"}, {}, flags, "stop")) {
    return 2;
  }
  LoadedConfig loaded;
  const bool haveConfig = flags.has("config") && !flags.has("address");
  if (haveConfig && !loadConfig(flags.get("config"), flags.get("adapter"), loaded)) {
    return 1;
  }
  std::string error;
  const std::string address = adminAddress(flags, haveConfig ? &loaded.config : nullptr, error);
  if (address.empty()) {
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  return postToAdmin(address, "/stop", "", {});
}

}  // namespace gatehouse::cli
