#include "provision/named_routes_provision.h"

#include <algorithm>
#include <map>

#include "provision/provision_error.h"

namespace gatehouse::provision {

namespace {

using Graph = std::map<std::string, std::vector<std::string>>;

// Depth-first search; `stack` is the current invoke path. Returns the cycle, or empty.
std::vector<std::string> findCycle(const Graph& g, const std::string& node, std::vector<std::string>& stack,
                                   std::map<std::string, bool>& done) {
  if (auto on = std::find(stack.begin(), stack.end(), node); on != stack.end()) {
    std::vector<std::string> cycle(on, stack.end());
    cycle.push_back(node);
    return cycle;
  }
  if (done[node]) {
    return {};
  }
  stack.push_back(node);
  if (auto it = g.find(node); it != g.end()) {
    for (const auto& next : it->second) {
      if (auto cycle = findCycle(g, next, stack, done); !cycle.empty()) {
        return cycle;
      }
    }
  }
  stack.pop_back();
  done[node] = true;
  return {};
}

}  // namespace

std::unique_ptr<handlers::NamedRoutes> declareNamedRoutes(const config::Server& srv,
                                                          const std::string& path) {
  if (srv.namedRoutes.empty()) {
    return nullptr;
  }
  Graph graph;
  std::vector<std::string> names;
  for (const auto& [name, route] : srv.namedRoutes) {
    names.push_back(name);
    graph[name] = handlers::invokedNames({route});
  }
  std::map<std::string, bool> done;
  for (const auto& name : names) {
    std::vector<std::string> stack;
    auto cycle = findCycle(graph, name, stack, done);
    if (!cycle.empty()) {
      std::string chain;
      for (const auto& n : cycle) {
        chain += (chain.empty() ? "" : " -> ") + n;
      }
      throw ProvisionError(path + "." + cycle.front(),
                           "named routes invoke each other in a cycle (" + chain + "); that would never end");
    }
  }
  auto table = std::make_unique<handlers::NamedRoutes>(names);
  // Which routes may pause, through any chain of invokes (acyclic now, so this settles
  // within one pass per route).
  for (size_t pass = 0; pass < names.size(); ++pass) {
    for (const auto& [name, route] : srv.namedRoutes) {
      if (handlers::routesMayPause({route}, table.get())) {
        table->markMayPause(name);
      }
    }
  }
  return table;
}

void compileNamedRoutes(const config::Server& srv, const std::string& path, handlers::NamedRoutes& table,
                        const SingleRouteCompiler& compile) {
  for (const auto& [name, route] : srv.namedRoutes) {
    table.set(name, compile(route, path + "." + name));
  }
}

}  // namespace gatehouse::provision
