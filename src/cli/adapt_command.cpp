// gatehouse adapt: prints the Caddy JSON for a Caddyfile.

#include <iostream>

#include "cli/command.h"
#include "cli/config_loader.h"
#include "gatehouse/config/site_graph_writer.h"

namespace gatehouse::cli {

int runAdapt(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter"}, {"pretty", "validate"}, flags, "adapt")) {
    return 2;
  }
  LoadedConfig loaded;
  if (!loadConfig(flags.get("config", "Caddyfile"), flags.get("adapter"), loaded)) {
    return 1;
  }
  printWarnings(loaded.warnings);
  std::cout << config::dumpConfig(loaded.config, flags.has("pretty")) << "\n";
  return 0;
}

int runValidate(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter"}, {}, flags, "validate")) {
    return 2;
  }
  LoadedConfig loaded;
  if (!loadConfig(flags.get("config", "Caddyfile"), flags.get("adapter"), loaded)) {
    return 1;
  }
  printWarnings(loaded.warnings);
  std::cout << "Valid configuration\n";
  return 0;
}

}  // namespace gatehouse::cli
