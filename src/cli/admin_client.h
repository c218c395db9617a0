#pragma once
// How the CLI talks to a running server's admin API, as caddy's `reload`, `stop` and `trust`
// do: the address from --address, else the config's admin.listen, else localhost:2019.

#include <string>
#include <vector>

#include "cli/command.h"
#include "gatehouse/config/site_graph.h"

namespace gatehouse::cli {

// "" with `error` when the config disables the endpoint (admin off). `cfg` may be null.
std::string adminAddress(const Flags& flags, const config::Config* cfg, std::string& error);

// Sends METHOD http://<address><path> ("unix//PATH" addresses go over that socket) and returns
// the answer's body; false with caddy's error text in `error` when the request fails or the
// answer is not 2xx ("performing request: Post \"URL\": dial tcp ...: connect: connection
// refused", "gatehouse responded with error: HTTP 400: BODY").
bool requestAdmin(const std::string& method, const std::string& address, const std::string& path,
                  const std::string& body, const std::vector<std::string>& headers, std::string& answer,
                  std::string& error);

// POSTs `body` to the admin endpoint; prints "Error: ..." and returns 1 on failure, else 0.
int postToAdmin(const std::string& address, const std::string& path, const std::string& body,
                const std::vector<std::string>& headers);

}  // namespace gatehouse::cli
