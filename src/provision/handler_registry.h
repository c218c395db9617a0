#pragma once

#include <memory>
#include <string>

#include "gatehouse/runtime/worker_start.h"
#include "handlers/handlers.h"
#include "handlers/named_routes.h"
#include "metrics/http_metrics.h"

namespace gatehouse::proxy {
class UpstreamStats;
}

namespace gatehouse::provision {

// What a handler may need besides its own JSON: the server it belongs to and, when HTTP
// metrics are collected, the registry (every handler is then wrapped to be counted).
struct HandlerContext {
  std::string server;
  metrics::HttpMetrics* metrics = nullptr;
  // Whether handlers built in this context are counted in `metrics`: as in caddy 2.6.2 only
  // a server's top-level route handlers are (subroutes and error routes provision theirs
  // without metrics), though a `metrics` handler anywhere still serves the registry.
  bool instrument = true;
  // The server's named routes, for `invoke`; null when it defines none.
  const handlers::NamedRoutes* namedRoutes = nullptr;
  // The whole config, for handlers that use other apps (acme_server: the pki app).
  const config::Config* config = nullptr;
  // The process's upstream registry (reverse_proxy counts into it); null: not tracked.
  std::shared_ptr<proxy::UpstreamStats> upstreamStats;
  // The runtime's worker starts (reverse_proxy's active health checks); null: none kept.
  runtime::WorkerStarts* workerStarts = nullptr;
};

// Whether any route of the config (subroutes and error routes included) uses handler `name`.
bool configUsesHandler(const config::Config& config, std::string_view name);

// Builds the runtime handler for one config handler; throws ProvisionError for unknown names.
std::unique_ptr<runtime::Handler> makeHandler(const config::Handler& h, const std::string& path,
                                              const handlers::RouteCompiler& compile,
                                              const HandlerContext& ctx);

}  // namespace gatehouse::provision
