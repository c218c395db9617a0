#pragma once
// One server's named routes (`&(name) { ... }` in a Caddyfile, "named_routes" in JSON),
// compiled once per server. `invoke` handlers hold a reference into the table, so a name is
// resolved at provision time and nothing is looked up per request.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"
#include "router/route.h"

namespace gatehouse::handlers {

class NamedRoutes {
 public:
  // Every name is declared before any route is compiled, so routes may invoke one another
  // whatever their order.
  explicit NamedRoutes(const std::vector<std::string>& names);
  // The slot of `name` (filled later by set), or null when the server defines no such route.
  [[nodiscard]] const router::RouteList* find(std::string_view name) const;
  void set(std::string_view name, router::RouteList routes);
  // Whether the route of `name` may pause (answer asynchronously, as reverse_proxy does),
  // directly or through routes it invokes.
  [[nodiscard]] bool mayPause(std::string_view name) const;
  void markMayPause(std::string_view name);

 private:
  std::map<std::string, std::unique_ptr<router::RouteList>, std::less<>> routes_;
  std::vector<std::string> pausing_;
};

// Whether any route of `routes` (nested subroutes and error routes included) uses handler `name`.
bool routesUseHandler(const std::vector<config::Route>& routes, std::string_view name);

// Whether `routes` may pause: reverse_proxy in them, or an invoke of a route that may.
bool routesMayPause(const std::vector<config::Route>& routes, const NamedRoutes* table);

// The names of the named routes a route list invokes, nested subroutes included.
std::vector<std::string> invokedNames(const std::vector<config::Route>& routes);

// `invoke`: runs the named route as a subroute would (its matchers, handlers and terminal
// flag); when it does not end the chain, the outer chain continues. Throws ProvisionError
// when the server has no route of that name.
std::unique_ptr<runtime::Handler> makeInvoke(const config::Handler& h, const std::string& path,
                                             const NamedRoutes* table);

}  // namespace gatehouse::handlers
