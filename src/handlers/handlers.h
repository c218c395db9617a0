#pragma once
// Factories for the route handlers this runtime implements, keyed by Caddy's JSON module
// name in provision/handler_registry.cpp. Each throws provision::ProvisionError naming the
// JSON path when its config is malformed or asks for something not implemented yet.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"
#include "router/route.h"

namespace gatehouse::metrics {
class HttpMetrics;
}

namespace gatehouse::handlers {

// Lets container handlers (subroute) compile nested routes without depending on provision/.
using RouteCompiler =
    std::function<router::RouteList(const std::vector<config::Route>&, const std::string& path)>;

std::unique_ptr<runtime::Handler> makeStaticResponse(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeSubroute(const config::Handler& h, const std::string& path,
                                               const RouteCompiler& compile);
std::unique_ptr<runtime::Handler> makeHeaders(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeVars(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeRewrite(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeFileServer(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeAuthentication(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeStaticError(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeMap(const config::Handler& h, const std::string& path);
std::unique_ptr<runtime::Handler> makeRequestBody(const config::Handler& h, const std::string& path);
// `push`: HTTP/2 server push of configured resources and of Link response fields.
std::unique_ptr<runtime::Handler> makePush(const config::Handler& h, const std::string& path);
// `tracing`: W3C trace-context propagation of Caddy's OpenTelemetry handler (no export).
std::unique_ptr<runtime::Handler> makeTracing(const config::Handler& h, const std::string& path);
// `metrics` serves the registry's Prometheus exposition (null registry: refused).
std::unique_ptr<runtime::Handler> makeMetrics(const config::Handler& h, const std::string& path,
                                              const metrics::HttpMetrics* registry);

// `acme_server`: an ACME CA signing with the pki app's CA (loaded from `config`).
std::unique_ptr<runtime::Handler> makeAcmeServer(const config::Handler& h, const std::string& path,
                                                 const config::Config& config);

// Rejects fields a handler does not know, so nothing in a config is silently ignored.
void requireKnownFields(const config::Handler& h, const std::string& path,
                        std::initializer_list<const char*> known);

}  // namespace gatehouse::handlers
