// gatehouse stop: asks the running server to stop gracefully through its admin endpoint
// (POST /stop), as `caddy stop` does. The address: --address, else the admin address of
// --config when given, else localhost:2019.

#include <iostream>

#include "cli/admin_client.h"
#include "cli/command.h"
#include "cli/config_loader.h"
#include "log/process_log.h"

namespace gatehouse::cli {

int runStop(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "address"}, {}, flags, "stop")) {
    return 1;
  }
  LoadedConfig loaded;
  const bool haveConfig = flags.has("config") && !flags.has("address");
  if (haveConfig && !loadConfig(flags.get("config"), flags.get("adapter"), loaded,
                                "couldn't determine admin API address: reading config file")) {
    return 1;
  }
  std::string error;
  const std::string address = adminAddress(flags, haveConfig ? &loaded.config : nullptr, error);
  if (address.empty()) {
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  std::string answer;
  if (!requestAdmin("POST", address, "/stop", "", {}, answer, error)) {
    // caddy logs the failure, then prints it
    log::logOwn(log::Level::Warn, "", "failed using API to stop instance", {{"error", error}});
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace gatehouse::cli
