#pragma once
// A compiled route list, run as Caddy's RouteList: routes in order, each evaluated when the
// chain reaches it (so earlier rewrites and vars affect later matchers); a matched route runs
// its handlers in order; `terminal` stops the rest; a group lets only its first matching
// route run for the whole request.

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/runtime/handler.h"
#include "router/matchers.h"

namespace gatehouse::router {

struct CompiledRoute {
  std::string group;
  std::vector<MatcherSet> match;  // empty: always
  std::vector<std::unique_ptr<runtime::Handler>> handlers;
  bool terminal = false;
};

class RouteList final : public runtime::ChainContinuation {
 public:
  RouteList() = default;
  explicit RouteList(std::vector<CompiledRoute> routes) : routes_(std::move(routes)) {}
  // Continue: every matching route ran and none stopped the chain (the caller proceeds);
  // Handled: the chain stops (a response is set, or a terminal route ended it).
  // Paused: a handler will resume later; the position after it is pushed onto
  // ex.chainRest so that the chain can go on from there.
  runtime::Outcome run(runtime::Exchange& ex) const { return runFrom(ex, 0, 0); }
  runtime::Outcome runFrom(runtime::Exchange& ex, size_t route, size_t handler) const override;
  [[nodiscard]] size_t size() const { return routes_.size(); }
  // Whether some route would take the exchange (its matchers, not its handlers): after a
  // reload, whether the new config still serves an exchange's site.
  [[nodiscard]] bool anyRouteMatches(runtime::Exchange& ex) const;

 private:
  std::vector<CompiledRoute> routes_;
};

}  // namespace gatehouse::router
