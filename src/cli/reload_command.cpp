// gatehouse reload: adapts a config locally and posts it to the running server's admin
// endpoint (POST /load), as `caddy reload` does; --force reloads even an unchanged config
// (Cache-Control: must-revalidate). The server validates and provisions it; a config it
// rejects leaves the running one in place and its error is printed here.

#include <filesystem>
#include <iostream>

#include "cli/admin_client.h"
#include "cli/command.h"
#include "cli/config_loader.h"
#include "gatehouse/config/site_graph_writer.h"

namespace gatehouse::cli {

int runReload(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter", "address"}, {"force"}, flags, "reload")) {
    return 1;
  }
  if (!flags.has("config") && !std::filesystem::exists("Caddyfile")) {
    std::cerr << "Error: no config file to load\n";
    return 1;
  }
  const std::string path = flags.get("config", "Caddyfile");
  LoadedConfig loaded;
  if (!loadConfig(path, flags.get("adapter"), loaded)) {
    return 1;
  }
  printWarnings(loaded.warnings);
  std::string error;
  const std::string address = adminAddress(flags, &loaded.config, error);
  if (address.empty()) {
    std::cerr << "Error: " << error << "\n";
    return 1;
  }
  // A JSON config goes as given, so its @id members reach the server.
  const std::string body =
      loaded.raw.is_null() ? config::dumpConfig(loaded.config, false) : loaded.raw.dump();
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (flags.has("force")) {
    headers.emplace_back("Cache-Control: must-revalidate");
  }
  return postToAdmin(address, "/load", body, headers);
}

}  // namespace gatehouse::cli
