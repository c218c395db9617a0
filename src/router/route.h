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

class RouteList {
 public:
  RouteList() = default;
  explicit RouteList(std::vector<CompiledRoute> routes) : routes_(std::move(routes)) {}
  // Continue: every matching route ran and none stopped the chain (the caller proceeds);
  // Handled: the chain stops (a response is set, or a terminal route ended it).
  runtime::Outcome run(runtime::Exchange& ex) const;
  [[nodiscard]] size_t size() const { return routes_.size(); }

 private:
  std::vector<CompiledRoute> routes_;
};

}  // namespace gatehouse::router
