// subroute: a nested route list; when it ends without stopping, the outer chain continues.
// Its optional error routes ("errors": {"routes": [...]}) run when one of its own handlers
// fails, as Caddy's Subroute does: they see {http.error.*}; when they end without failing
// in turn the error is handled (the server's handle_errors never sees it) and the outer
// chain goes on; a new error from them goes up as usual.

#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "router/error_id.h"

namespace gatehouse::handlers {

namespace {

bool sameError(const runtime::HandlerError& a, const runtime::HandlerError& b) {
  return a.status == b.status && a.message == b.message && a.id == b.id;
}

class Subroute final : public runtime::Handler {
 public:
  explicit Subroute(router::RouteList routes) : routes_(std::move(routes)) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override { return routes_.run(ex); }

 private:
  router::RouteList routes_;
};
static_assert(std::derived_from<Subroute, runtime::Handler>);

class SubrouteWithErrors final : public runtime::Handler, private runtime::ChainContinuation {
 public:
  SubrouteWithErrors(router::RouteList routes, router::RouteList errors)
      : routes_(std::move(routes)), errors_(std::move(errors)) {}

  runtime::Outcome handle(runtime::Exchange& ex) const override {
    // Inside the server's error routes an error is already recorded: only a new one counts.
    const runtime::HandlerError before = ex.error;
    runtime::Outcome o = routes_.run(ex);
    if (o == runtime::Outcome::Paused) {
      // A handler answers later (reverse_proxy): its error comes back through this boundary.
      ex.chainRest.push_back({this, 0, 0});
      return o;
    }
    if (ex.error.status == 0 || sameError(ex.error, before)) {
      return o;
    }
    return catchError(ex, before);
  }

 private:
  runtime::Outcome runFrom(runtime::Exchange& /*ex*/, size_t /*route*/, size_t /*handler*/) const override {
    return runtime::Outcome::Continue;  // the routes after the pause are the inner list's frame
  }
  [[nodiscard]] bool errorBoundary() const override { return true; }
  runtime::Outcome runErrors(runtime::Exchange& ex) const override { return catchError(ex, {}); }

  runtime::Outcome catchError(runtime::Exchange& ex, const runtime::HandlerError& before) const {
    if (ex.error.id.empty()) {
      ex.error.id = router::newErrorId();
    }
    // In error routes, as in the server's, `respond` defaults to the error's status.
    ex.error.routed = true;
    const runtime::HandlerError failed = ex.error;
    ex.response.status = 0;  // Exchange::fail answered with the bare status; the routes decide
    ex.response.body.clear();
    ex.response.stream.reset();
    const runtime::Outcome o = errors_.run(ex);
    if (o == runtime::Outcome::Paused) {
      return o;
    }
    if (ex.error.status != failed.status || ex.error.message != failed.message) {
      // The error routes failed in turn: that error goes up to the server's error routes.
      ex.error.routed = before.routed;
      return runtime::Outcome::Handled;
    }
    // Handled: the server never sees it. (Caddy also keeps it in the request's context for
    // the handlers after the subroute, where `respond` would default to its status.)
    ex.error = before;
    return o;
  }

  router::RouteList routes_;
  router::RouteList errors_;
};
static_assert(std::derived_from<SubrouteWithErrors, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeSubroute(const config::Handler& h, const std::string& path,
                                               const RouteCompiler& compile) {
  requireKnownFields(h, path, {"routes", "errors"});
  auto routes = compile(h.routes, path + ".routes");
  if (!h.errors) {
    return std::make_unique<Subroute>(std::move(routes));
  }
  return std::make_unique<SubrouteWithErrors>(std::move(routes), compile(*h.errors, path + ".errors.routes"));
}

}  // namespace gatehouse::handlers
