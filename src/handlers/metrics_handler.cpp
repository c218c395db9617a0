// metrics: serves the HTTP metrics in Prometheus' text exposition format, or OpenMetrics
// when the Accept header negotiates it and `disable_openmetrics` is not set (Caddyfile
// `metrics`). Caddy's Go runtime and process collectors have no equivalent here.

#include "handlers/handlers.h"
#include "metrics/http_metrics.h"
#include "metrics/openmetrics.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

namespace {

class MetricsHandler final : public runtime::Handler {
 public:
  MetricsHandler(const metrics::HttpMetrics& registry, bool openMetrics)
      : registry_(registry), openMetrics_(openMetrics) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override {
    if (openMetrics_ && metrics::negotiatesOpenMetrics(ex.request.headers.get("Accept"))) {
      ex.response.headers.set("Content-Type", std::string(metrics::kOpenMetricsContentType));
      return ex.respond(200, metrics::toOpenMetrics(registry_.exposition()));
    }
    ex.response.headers.set("Content-Type", std::string(metrics::kTextContentType));
    return ex.respond(200, registry_.exposition());
  }

 private:
  const metrics::HttpMetrics& registry_;
  bool openMetrics_;
};
static_assert(std::derived_from<MetricsHandler, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeMetrics(const config::Handler& h, const std::string& path,
                                              const metrics::HttpMetrics* registry) {
  requireKnownFields(h, path, {"disable_openmetrics"});
  if (registry == nullptr) {
    throw provision::ProvisionError(path, "no metrics registry was provisioned");
  }
  const auto it = h.fields.find("disable_openmetrics");
  const bool disabled = it != h.fields.end() && it->is_boolean() && it->get<bool>();
  return std::make_unique<MetricsHandler>(*registry, !disabled);
}

}  // namespace gatehouse::handlers
