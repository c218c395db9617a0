#pragma once
// Pieces shared by the configs of caddy's quick-start commands (file-server, respond).

#include <string>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::parser {

// A server on `listen` with the limits caddy 2.6.2's file-server and respond set: 10 s to
// read a request's head, 30 s idle, 10 KiB of header bytes.
config::Json quickServer(const std::string& listen);

// The whole config around `servers` (apps.http.servers): admin endpoint off and nothing
// autosaved, DEBUG logging with `debug`.
config::Json quickConfig(config::Json servers, bool debug);

}  // namespace gatehouse::parser
