// gatehouse reverse-proxy: caddy's one-line proxy (`caddy reverse-proxy --from chat.example.com
// --to 127.0.0.1:3210`), the same config built from the same flags, served until stopped.

#include <iostream>

#include "cli/command.h"
#include "cli/serve_loaded.h"
#include "gatehouse/parser/command_configs.h"
#include "gatehouse/parser/config_error.h"

namespace gatehouse::cli {

int runReverseProxy(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"from", "to", "workers"},
                  {"change-host-header", "insecure", "internal-certs", "debug"}, flags, "reverse-proxy")) {
    return 1;
  }
  parser::ReverseProxyCommand cmd;
  cmd.from = flags.get("from", cmd.from);
  for (const auto& [name, value] : flags.values) {
    if (name == "to") {
      cmd.to.push_back(value);
    }
  }
  cmd.changeHostHeader = flags.has("change-host-header");
  cmd.insecure = flags.has("insecure");
  cmd.internalCerts = flags.has("internal-certs");
  cmd.debug = flags.has("debug");
  LoadedConfig loaded;
  std::string from;
  std::vector<std::string> dials;
  if (!loadBuiltConfig([&] { return parser::reverseProxyCommandConfig(cmd, from, dials); }, loaded)) {
    return 1;
  }
  server::RunOptions options;
  if (!workerCount(flags.get("workers"), options.workers)) {
    return 1;
  }
  for (const auto& dial : dials) {
    std::cout << "Gatehouse proxying " << from << " -> " << dial << "\n";
  }
  if (dials.size() > 1) {
    std::cout << "Load balancing policy: random\n";
  }
  std::cout.flush();
  return serveLoaded(loaded, "reverse-proxy", options);
}

}  // namespace gatehouse::cli
