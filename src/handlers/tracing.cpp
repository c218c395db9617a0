// tracing: Caddy 2.6.2's OpenTelemetry handler, as far as it shows outside a span
// exporter. Each request gets a server span: a child of the client's W3C `traceparent`
// when that parses (same trace id, the client's sampled flag, its `tracestate` kept), else
// the root of a new, sampled trace (otel-go's default ParentBased(AlwaysSample) sampler).
// The span's context replaces the request's `traceparent` (and `tracestate`), so
// reverse_proxy upstreams and placeholders see it, as Caddy's propagator injects it into
// the request headers before calling the next handler.
//
// Spans are not exported: Caddy sends them with OTLP over gRPC to the endpoint the OTEL_*
// environment variables name. Start-up is refused when such an endpoint (or a propagator or
// sampler other than the defaults) is configured, so no configured export is silently lost.

#include <cstdlib>
#include <optional>
#include <string>

#include "handlers/handlers.h"
#include "handlers/trace_context.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using runtime::Exchange;

namespace {

std::string envValue(const char* name) {
  const char* v = std::getenv(name);  // read once, at provision time
  return v == nullptr ? std::string() : std::string(v);
}

// Which propagators OTEL_PROPAGATORS asks for (autoprop's reading: a comma-separated
// list, default "tracecontext,baggage", "none" for none). Throws for the ones not built.
bool traceContextWanted(const std::string& path) {
  const std::string list = envValue("OTEL_PROPAGATORS");
  if (list.empty()) {
    return true;
  }
  bool traceContext = false;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? list.size() + 1 : comma + 1;
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (name == "tracecontext") {
      traceContext = true;
    } else if (name != "baggage" && name != "none" && !name.empty()) {
      throw ProvisionError(path, "handler 'tracing': OTEL_PROPAGATORS propagator '" + name +
                                     "' is not supported yet (only tracecontext and baggage)");
    }
  }
  return traceContext;
}

void refuseExporterConfig(const std::string& path) {
  for (const char* name : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}) {
    if (!envValue(name).empty()) {
      throw ProvisionError(path, std::string("handler 'tracing': ") + name +
                                     " is set, but exporting spans (OTLP over gRPC) is not supported yet; "
                                     "gatehouse only propagates W3C trace context (traceparent/tracestate)");
    }
  }
  const std::string sampler = envValue("OTEL_TRACES_SAMPLER");
  if (!sampler.empty() && sampler != "parentbased_always_on") {
    throw ProvisionError(path, "handler 'tracing': OTEL_TRACES_SAMPLER '" + sampler +
                                   "' is not supported yet (only the default parentbased_always_on)");
  }
}

class Tracing final : public runtime::Handler {
 public:
  explicit Tracing(bool inject) : inject_(inject) {}

  runtime::Outcome handle(Exchange& ex) const override {
    if (!inject_) {
      return runtime::Outcome::Continue;
    }
    auto& headers = ex.request.headers;
    std::optional<TraceParent> parent;
    if (const std::string* tp = headers.find("Traceparent")) {
      parent = parseTraceParent(*tp);
    }
    std::string spanId = randomHexId(8);
    if (!parent) {
      headers.remove("Traceparent");
      headers.add("Traceparent", formatTraceParent(randomHexId(16), spanId, true));
      return runtime::Outcome::Continue;
    }
    // The tracestate of the parent goes on with the child; one that does not parse is
    // dropped by the SDK, which then leaves the client's field as it was.
    if (const std::string* ts = headers.find("Tracestate")) {
      if (auto normal = normalizeTraceState(*ts); normal && !normal->empty()) {
        headers.remove("Tracestate");
        headers.add("Tracestate", *normal);
      }
    }
    headers.remove("Traceparent");
    headers.add("Traceparent", formatTraceParent(parent->traceId, spanId, parent->sampled));
    return runtime::Outcome::Continue;
  }

 private:
  bool inject_;
};

}  // namespace

std::unique_ptr<runtime::Handler> makeTracing(const config::Handler& h, const std::string& path) {
  for (const auto& [key, _] : h.fields.items()) {
    if (key == "span_attributes") {
      throw ProvisionError(path + "." + key, "tracing span_attributes (newer Caddy) is not supported yet");
    }
  }
  requireKnownFields(h, path, {"span"});
  refuseExporterConfig(path);
  // The span name only labels exported spans; there is none to label here.
  return std::make_unique<Tracing>(traceContextWanted(path));
}

}  // namespace gatehouse::handlers
