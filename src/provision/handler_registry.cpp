// Handler module name -> factory. One row per handler the runtime implements; any other
// name stops start-up with its JSON path.

#include "provision/handler_registry.h"

#include <array>

#include "handlers/copy_response.h"
#include "handlers/encode.h"
#include "handlers/handlers.h"
#include "handlers/templates.h"
#include "provision/provision_error.h"
#include "proxy/reverse_proxy.h"

namespace gatehouse::provision {

namespace {

// Counts the handler it wraps under its module name (Caddy 2.6 instruments each top-level
// route handler of a server).
class Instrumented final : public runtime::Handler {
 public:
  Instrumented(std::unique_ptr<runtime::Handler> inner, metrics::HttpMetrics& metrics, uint32_t id)
      : inner_(std::move(inner)), metrics_(metrics), id_(id) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override {
    metrics_.handlerStarted(ex, id_);
    return inner_->handle(ex);
  }

 private:
  std::unique_ptr<runtime::Handler> inner_;
  metrics::HttpMetrics& metrics_;
  uint32_t id_;
};

// The Caddyfile directive that writes a handler this runtime lacks, for the refusal.
std::string directiveOf(std::string_view handler) {
  static constexpr std::array<std::string_view, 2> kSameName = {"log_append", "intercept"};
  for (auto name : kSameName) {
    if (handler == name) {
      return " (Caddyfile directive `" + std::string(name) + "`)";
    }
  }
  return "";
}

std::unique_ptr<runtime::Handler> makeBareHandler(const config::Handler& h, const std::string& path,
                                                  const handlers::RouteCompiler& compile,
                                                  const HandlerContext& ctx) {
  if (h.name == "static_response") {
    return handlers::makeStaticResponse(h, path);
  }
  if (h.name == "subroute") {
    if (h.errors && path.find(".errors.routes") != std::string::npos &&
        handlers::routesMayPause(h.routes, ctx.namedRoutes)) {
      // Inside error routes the error already recorded cannot be told from a proxy's new one
      // once the chain resumes (elsewhere the subroute is an error boundary on the chain).
      throw ProvisionError(
          path + ".errors",
          "subroute error routes around reverse_proxy inside error routes are not supported yet");
    }
    return handlers::makeSubroute(h, path, compile);
  }
  if (h.name == "headers") {
    return handlers::makeHeaders(h, path);
  }
  if (h.name == "vars") {
    return handlers::makeVars(h, path);
  }
  if (h.name == "rewrite") {
    return handlers::makeRewrite(h, path);
  }
  if (h.name == "file_server") {
    return handlers::makeFileServer(h, path);
  }
  if (h.name == "reverse_proxy") {
    return proxy::makeReverseProxy(h, path, compile, ctx.upstreamStats, ctx.workerStarts);
  }
  if (h.name == "encode") {
    return handlers::makeEncode(h, path);
  }
  if (h.name == "templates") {
    return handlers::makeTemplates(h, path);
  }
  if (h.name == "authentication") {
    return handlers::makeAuthentication(h, path);
  }
  if (h.name == "error") {
    return handlers::makeStaticError(h, path);
  }
  if (h.name == "map") {
    return handlers::makeMap(h, path);
  }
  if (h.name == "request_body") {
    return handlers::makeRequestBody(h, path);
  }
  if (h.name == "copy_response") {
    return handlers::makeCopyResponse(h, path);
  }
  if (h.name == "copy_response_headers") {
    return handlers::makeCopyResponseHeaders(h, path);
  }
  if (h.name == "invoke") {
    return handlers::makeInvoke(h, path, ctx.namedRoutes);
  }
  if (h.name == "tracing") {
    return handlers::makeTracing(h, path);
  }
  if (h.name == "push") {
    return handlers::makePush(h, path);
  }
  if (h.name == "metrics") {
    return handlers::makeMetrics(h, path, ctx.metrics);
  }
  if (h.name == "acme_server" && ctx.config != nullptr) {
    return handlers::makeAcmeServer(h, path, *ctx.config);
  }
  throw ProvisionError(path, "handler '" + h.name + "'" + directiveOf(h.name) + " is not supported yet");
}

}  // namespace

bool configUsesHandler(const config::Config& config, std::string_view name) {
  if (!config.http) {
    return false;
  }
  for (const auto& [_, srv] : config.http->servers) {
    if (handlers::routesUseHandler(srv.routes, name) ||
        (srv.errors && handlers::routesUseHandler(*srv.errors, name))) {
      return true;
    }
    for (const auto& [__, route] : srv.namedRoutes) {
      if (handlers::routesUseHandler({route}, name)) {
        return true;
      }
    }
  }
  return false;
}

std::unique_ptr<runtime::Handler> makeHandler(const config::Handler& h, const std::string& path,
                                              const handlers::RouteCompiler& compile,
                                              const HandlerContext& ctx) {
  auto handler = makeBareHandler(h, path, compile, ctx);
  if (ctx.metrics == nullptr || !ctx.instrument) {
    return handler;
  }
  const uint32_t id = ctx.metrics->registerHandler(ctx.server, h.name);
  return std::make_unique<Instrumented>(std::move(handler), *ctx.metrics, id);
}

}  // namespace gatehouse::provision
