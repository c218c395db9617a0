// GET /metrics on the admin endpoint, as caddy 2.6.2 serves Prometheus metrics there: the
// admin API's own counters, the HTTP metrics of the running config (caddy_http_*, when
// something collects them) and the process collector. Go runtime series (go_*, promhttp_*)
// have no equivalent here.

#include "admin/admin_metrics.h"
#include "admin/admin_server.h"
#include "admin/api_router.h"
#include "proxy/upstream_stats.h"

namespace gatehouse::admin {

ApiResponse handleMetrics(const ApiRequest& /*req*/, AdminServer& server) {
  ApiResponse r;
  r.contentType = "text/plain; version=0.0.4; charset=utf-8";
  auto upstreams = server.sink().upstreamStats();
  r.body = server.metrics().exposition() + server.sink().httpMetrics() +
           (upstreams ? upstreams->healthGauge() : "") + processMetrics();
  return r;
}

}  // namespace gatehouse::admin
