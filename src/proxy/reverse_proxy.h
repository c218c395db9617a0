#pragma once
// reverse_proxy: Caddy's http.handlers.reverse_proxy over HTTP/1.1 to static upstreams.

#include <memory>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"
#include "gatehouse/runtime/worker_start.h"
#include "handlers/handlers.h"

namespace gatehouse::proxy {

class UpstreamStats;

// `stats`: the process's upstream registry the handler's upstreams (configured, and those a
// dynamic source gives a request) count into (may be null).
// `starts`: the runtime's worker starts, which get the handler's (active health checks
// start when a worker takes the runtime); null: they start with a worker's first request.
std::unique_ptr<runtime::Handler> makeReverseProxy(const config::Handler& h, const std::string& path,
                                                   const handlers::RouteCompiler& compile,
                                                   std::shared_ptr<UpstreamStats> stats = nullptr,
                                                   runtime::WorkerStarts* starts = nullptr);

}  // namespace gatehouse::proxy
