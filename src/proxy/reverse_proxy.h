#pragma once
// reverse_proxy: Caddy's http.handlers.reverse_proxy over HTTP/1.1 to static upstreams.

#include <memory>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"
#include "handlers/handlers.h"

namespace gatehouse::proxy {

std::unique_ptr<runtime::Handler> makeReverseProxy(const config::Handler& h, const std::string& path,
                                                   const handlers::RouteCompiler& compile);

}  // namespace gatehouse::proxy
