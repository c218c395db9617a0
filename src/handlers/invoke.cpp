// invoke and the named-route table it reads.

#include <algorithm>

#include "handlers/handlers.h"
#include "handlers/named_routes.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

NamedRoutes::NamedRoutes(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    routes_.emplace(n, std::make_unique<router::RouteList>());
  }
}

const router::RouteList* NamedRoutes::find(std::string_view name) const {
  auto it = routes_.find(name);
  return it == routes_.end() ? nullptr : it->second.get();
}

void NamedRoutes::set(std::string_view name, router::RouteList routes) {
  auto it = routes_.find(name);
  if (it != routes_.end()) {
    *it->second = std::move(routes);
  }
}

bool NamedRoutes::mayPause(std::string_view name) const {
  return std::find(pausing_.begin(), pausing_.end(), name) != pausing_.end();
}

void NamedRoutes::markMayPause(std::string_view name) {
  if (!mayPause(name)) {
    pausing_.emplace_back(name);
  }
}

bool routesUseHandler(const std::vector<config::Route>& routes, std::string_view name) {
  for (const auto& r : routes) {
    for (const auto& h : r.handle) {
      if (h.name == name || routesUseHandler(h.routes, name) ||
          (h.errors && routesUseHandler(*h.errors, name))) {
        return true;
      }
    }
  }
  return false;
}

bool routesMayPause(const std::vector<config::Route>& routes, const NamedRoutes* table) {
  if (routesUseHandler(routes, "reverse_proxy")) {
    return true;
  }
  if (table == nullptr) {
    return false;
  }
  const auto names = invokedNames(routes);
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return table->mayPause(n); });
}

std::vector<std::string> invokedNames(const std::vector<config::Route>& routes) {
  std::vector<std::string> out;
  for (const auto& r : routes) {
    for (const auto& h : r.handle) {
      if (h.name == "invoke" && h.fields.contains("name") && h.fields["name"].is_string()) {
        out.push_back(h.fields["name"].get<std::string>());
      }
      for (auto& n : invokedNames(h.routes)) {
        out.push_back(std::move(n));
      }
      if (h.errors) {
        for (auto& n : invokedNames(*h.errors)) {
          out.push_back(std::move(n));
        }
      }
    }
  }
  return out;
}

namespace {
class Invoke final : public runtime::Handler {
 public:
  explicit Invoke(const router::RouteList& route) : route_(route) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override { return route_.run(ex); }

 private:
  const router::RouteList& route_;  // owned by the server's NamedRoutes, which outlives it
};
static_assert(std::derived_from<Invoke, runtime::Handler>);
}  // namespace

std::unique_ptr<runtime::Handler> makeInvoke(const config::Handler& h, const std::string& path,
                                             const NamedRoutes* table) {
  requireKnownFields(h, path, {"name"});
  if (!h.fields.contains("name") || !h.fields["name"].is_string() ||
      h.fields["name"].get<std::string>().empty()) {
    throw provision::ProvisionError(path + ".name", "invoke needs the name of a route");
  }
  const std::string name = h.fields["name"].get<std::string>();
  const router::RouteList* route = table == nullptr ? nullptr : table->find(name);
  if (route == nullptr) {
    throw provision::ProvisionError(
        path + ".name", "cannot invoke named route '" + name + "', which this server does not define");
  }
  return std::make_unique<Invoke>(*route);
}

}  // namespace gatehouse::handlers
