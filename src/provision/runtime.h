#pragma once
// The provisioned, immutable runtime snapshot built from a site graph. Workers share one
// snapshot (std::shared_ptr<const Runtime>) and never mutate it, so no lock guards it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "log/access_log.h"
#include "log/log_service.h"
#include "metrics/http_metrics.h"
#include "router/route.h"

namespace gatehouse::provision {

// One `listen` entry: "[network/]host:port[-port]".
struct ListenSpec {
  std::string network = "tcp";  // tcp, tcp4, tcp6
  std::string host;             // "" = every interface
  uint16_t port = 0;
  std::string original;
};

struct ServerRuntime {
  std::string name;
  std::vector<ListenSpec> listen;
  router::RouteList routes;
  // Caddy's defaults: read_header_timeout 1m, idle_timeout 5m, no read/write timeout.
  std::chrono::milliseconds readHeaderTimeout{60'000};
  std::chrono::milliseconds readTimeout{0};
  std::chrono::milliseconds writeTimeout{0};
  std::chrono::milliseconds idleTimeout{300'000};
  size_t maxHeaderBytes = 1 << 20;  // Go's http.DefaultMaxHeaderBytes
  std::chrono::milliseconds keepaliveInterval{15'000};
  // Access log (server `logs`); null when the server keeps none.
  std::unique_ptr<log::AccessLog> accessLog;
  // HTTP metrics registry (owned by Runtime); null when nothing collects metrics.
  metrics::HttpMetrics* metrics = nullptr;
};

struct Runtime {
  // The log writer thread; declared first so it is destroyed last, after every server
  // whose access log feeds it (its destructor writes what is still queued).
  std::shared_ptr<log::LogService> logs;
  // HTTP metrics, when a `metrics` handler or apps.http.metrics asks for them.
  std::unique_ptr<metrics::HttpMetrics> metrics;
  std::vector<std::unique_ptr<ServerRuntime>> servers;
  std::chrono::milliseconds gracePeriod{0};  // 0: wait for in-flight requests
  std::vector<std::string> warnings;
};

// Builds the runtime; throws ProvisionError naming the JSON path of anything this runtime
// does not implement, so no part of a config is silently ignored.
std::unique_ptr<Runtime> provisionRuntime(const config::Config& config);

// Caddy durations: an integer of nanoseconds or a Go duration string ("1m30s", "2d").
std::chrono::milliseconds parseDuration(const config::Json& value, const std::string& path);
ListenSpec parseListen(const std::string& addr, const std::string& path, std::vector<ListenSpec>& expanded);

}  // namespace gatehouse::provision
