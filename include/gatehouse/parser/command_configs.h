#pragma once
// Configs that caddy's quick-start commands build from their flags, built the same way so
// they serve the same (`gatehouse reverse-proxy`).

#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::parser {

struct ReverseProxyCommand {
  std::string from = "localhost";
  std::vector<std::string> to;
  bool changeHostHeader = false;
  bool insecure = false;
  bool internalCerts = false;
  bool debug = false;
};

// The JSON config of `caddy reverse-proxy` (admin off, nothing autosaved, one server named
// "proxy"): HTTPS on 443 for a --from with a host, plain HTTP without one or with http:// or
// port 80. `fromText` gets the address as caddy prints it ("https://example.com"), `dials`
// each upstream's dial address. Throws ConfigError with caddy's message for a bad address.
config::Json reverseProxyCommandConfig(const ReverseProxyCommand& cmd, std::string& fromText,
                                       std::vector<std::string>& dials);

}  // namespace gatehouse::parser
