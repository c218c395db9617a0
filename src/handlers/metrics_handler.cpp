// metrics: serves the HTTP metrics in Prometheus' text exposition format (Caddyfile
// `metrics`). Caddy's Go runtime and process collectors have no equivalent here.

#include "handlers/handlers.h"
#include "metrics/http_metrics.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

namespace {

class MetricsHandler final : public runtime::Handler {
 public:
  explicit MetricsHandler(const metrics::HttpMetrics& registry) : registry_(registry) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override {
    ex.response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return ex.respond(200, registry_.exposition());
  }

 private:
  const metrics::HttpMetrics& registry_;
};
static_assert(std::derived_from<MetricsHandler, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeMetrics(const config::Handler& h, const std::string& path,
                                              const metrics::HttpMetrics* registry) {
  // OpenMetrics output is never produced, so disabling it changes nothing.
  requireKnownFields(h, path, {"disable_openmetrics"});
  if (registry == nullptr) {
    throw provision::ProvisionError(path, "no metrics registry was provisioned");
  }
  return std::make_unique<MetricsHandler>(*registry);
}

}  // namespace gatehouse::handlers
