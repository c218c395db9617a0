#pragma once
// Provisions a server's named routes once: declares the table, refuses invoke cycles (they
// would recurse without end), then compiles each route with the server's own compiler.

#include <functional>
#include <memory>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "handlers/named_routes.h"

namespace gatehouse::provision {

// Compiles one route at JSON path `path` (its matchers, handlers and terminal flag).
using SingleRouteCompiler = std::function<router::RouteList(const config::Route&, const std::string& path)>;

// Null when the server defines no named route. Throws ProvisionError naming the
// named_routes path on a cycle; `invoke` of an unknown name is refused by makeInvoke.
std::unique_ptr<handlers::NamedRoutes> declareNamedRoutes(const config::Server& srv, const std::string& path);

void compileNamedRoutes(const config::Server& srv, const std::string& path, handlers::NamedRoutes& table,
                        const SingleRouteCompiler& compile);

}  // namespace gatehouse::provision
