// gatehouse adapt: prints the Caddy JSON for a Caddyfile.

#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/config_loader.h"
#include "gatehouse/config/site_graph_writer.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"

namespace gatehouse::cli {

int runAdapt(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter"}, {"pretty", "validate"}, flags, "adapt")) {
    return 1;
  }
  if (!flags.has("config") && !std::filesystem::exists("Caddyfile")) {
    std::cerr
        << "Error: input file required when there is no Caddyfile in current directory (use --config flag)\n";
    return 1;
  }
  LoadedConfig loaded;
  if (!loadConfig(flags.get("config", "Caddyfile"), flags.get("adapter"), loaded, "reading input file")) {
    return 1;
  }
  printWarnings(loaded.warnings);
  std::cout << config::dumpConfig(loaded.config, flags.has("pretty")) << "\n";
  if (!flags.has("validate")) {
    return 0;
  }
  // --validate: the printed config must also provision, as `caddy adapt --validate`
  try {
    provision::provisionRuntime(loaded.config, nullptr, provision::ProvisionPurpose::Check);
  } catch (const std::exception& e) {
    std::cerr << "Error: validation: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int runValidate(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"config", "adapter"}, {}, flags, "validate")) {
    return 1;
  }
  LoadedConfig loaded;
  if (!loadConfig(flags.get("config", "Caddyfile"), flags.get("adapter"), loaded)) {
    return 1;
  }
  printWarnings(loaded.warnings);
  // As `caddy validate`: a config is valid only if it also provisions (modules, options, files).
  const std::string path = flags.get("config", "Caddyfile");
  try {
    provision::provisionRuntime(loaded.config, nullptr, provision::ProvisionPurpose::Check);
  } catch (const provision::ProvisionError& e) {
    std::cerr << "Error: " << path << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "Error: " << path << ": invalid config: " << e.what() << "\n";
    return 1;
  }
  std::cout << "Valid configuration\n";
  return 0;
}

}  // namespace gatehouse::cli
