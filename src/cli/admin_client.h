#pragma once
// How the CLI talks to a running server's admin API, as caddy's `reload` and `stop` do:
// the address from --address, else the config's admin.listen, else localhost:2019.

#include <string>
#include <vector>

#include "cli/command.h"
#include "gatehouse/config/site_graph.h"

namespace gatehouse::cli {

// "" with `error` when the config disables the endpoint (admin off). `cfg` may be null.
std::string adminAddress(const Flags& flags, const config::Config* cfg, std::string& error);

// POSTs `body` to http://<address><path>; prints the failure (transport or a non-200 answer
// with its body) and returns 1, else 0.
int postToAdmin(const std::string& address, const std::string& path, const std::string& body,
                const std::vector<std::string>& headers);

}  // namespace gatehouse::cli
