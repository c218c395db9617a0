// Route assembly: directive order, subroute building, route consolidation.

#include "httptype/routes.h"

#include <algorithm>
#include <map>

#include "gatehouse/parser/directive_table.h"
#include "httptype/go_sort.h"

namespace gatehouse::parser {
namespace {

// The group a literal subroute's carrier route holds until buildSubroute splices it (no
// group name Caddy makes starts with a control character).
constexpr const char* kLiteralGroup = "\x01literal";

bool isLiteral(const ConfigValue& v) {
  return v.isRoute() && v.route().group == kLiteralGroup;
}

// The single path of a route's only matcher set, or "" (Caddy treats anything else as a
// zero-length path when sub-sorting routes of one directive).
std::string singlePath(const config::Route& r) {
  if (r.match.size() != 1) {
    return "";
  }
  const Json& set = r.match.front();
  if (!set.is_object() || !set.contains("path")) {
    return "";
  }
  const Json& paths = set.at("path");
  if (!paths.is_array() || paths.size() != 1 || !paths[0].is_string()) {
    return "";
  }
  return paths[0].get<std::string>();
}

std::string trimStar(const std::string& s) {
  return !s.empty() && s.back() == '*' ? s.substr(0, s.size() - 1) : s;
}

bool samePathLess(const ConfigValue& a, const ConfigValue& b) {
  if (!a.isRoute() || !b.isRoute() || isLiteral(a) || isLiteral(b)) {
    return false;
  }
  const std::string ip = singlePath(a.route());
  const std::string jp = singlePath(b.route());
  if (ip.empty() || jp.empty()) {
    const bool byMatcher = !a.route().match.empty() && b.route().match.empty();
    return a.directive == "vars" ? !byMatcher : byMatcher;
  }
  if (a.directive == "vars") {
    // vars overwrite each other: least specific first so the most specific one wins (newer
    // Caddy's order, VARS_ORDER in adapt_fuzz; equal but for a trailing wildcard: the
    // exact path counts as the more specific)
    return !(trimStar(ip) == trimStar(jp) ? ip.size() < jp.size() : ip.size() > jp.size());
  }
  // The longer path first, as caddy 2.6.2 sorts: `/x/*` before `/x/` (seed 1831 case 339).
  return ip.size() > jp.size();
}

// Routes of directives that must not cascade share a group per site: handle blocks,
// rewrites and root settings.
const std::vector<std::string> kMutuallyExclusive = {"handle", "rewrite", "root"};

}  // namespace

std::vector<std::string> directiveOrder(const AdaptState& state) {
  auto it = state.options.find("order");
  if (it != state.options.end() && it->second.is_array()) {
    return it->second.get<std::vector<std::string>>();
  }
  return defaultDirectiveOrder();
}

namespace {

bool sameNames(const Json& option, const std::vector<std::string>& names) {
  if (option.size() != names.size()) {
    return false;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!option[i].is_string() || option[i].get_ref<const std::string&>() != names[i]) {
      return false;
    }
  }
  return true;
}

DirectiveOrderIndex makeIndex(std::vector<std::string> order, bool fromOption) {
  DirectiveOrderIndex index{fromOption, std::move(order), {}};
  for (size_t i = 0; i < index.names.size(); ++i) {
    index.position[index.names[i]] = static_cast<int>(i);  // a repeated name: the last place counts
  }
  return index;
}

// The index of the order in force, built once: the `order` option is settled before any
// site is adapted, and is compared here so a later change would still be seen.
const DirectiveOrderIndex& orderIndex(AdaptState& state) {
  auto it = state.options.find("order");
  const Json* custom = it != state.options.end() && it->second.is_array() ? &it->second : nullptr;
  auto& cached = state.orderIndex;
  const bool valid =
      cached && (custom ? cached->fromOption && sameNames(*custom, cached->names) : !cached->fromOption);
  if (!valid) {
    cached = makeIndex(directiveOrder(state), custom != nullptr);
  }
  return *cached;
}

void sortByIndex(std::vector<ConfigValue>& values, const DirectiveOrderIndex& index) {
  auto position = [&index](const std::string& d) {
    auto it = index.position.find(d);
    return it == index.position.end() ? 0 : it->second;
  };
  gosort::sliceStable(values, [&](const ConfigValue& a, const ConfigValue& b) {
    if (a.directive != b.directive) {
      return position(a.directive) < position(b.directive);
    }
    return samePathLess(a, b);
  });
}

}  // namespace

ConfigValue literalSubroute(std::vector<config::Route> routes) {
  config::Route carrier;
  carrier.group = kLiteralGroup;
  carrier.handle.push_back(config::Handler::subroute(std::move(routes)));
  return ConfigValue{"route", std::move(carrier), ""};
}

void sortRoutes(std::vector<ConfigValue>& values, const std::vector<std::string>& order) {
  sortByIndex(values, makeIndex(order, false));
}

std::vector<config::Route> consolidateRoutes(std::vector<config::Route> routes) {
  // Compacts in place (erasing each merged route would make a long run of them quadratic).
  size_t kept = 0;
  for (size_t i = 0; i < routes.size(); ++i) {
    if (kept > 0) {
      auto& a = routes[kept - 1];
      auto& b = routes[i];
      if (a.match == b.match && a.terminal == b.terminal && a.group == b.group) {
        for (auto& h : b.handle) {
          a.handle.push_back(std::move(h));
        }
        continue;
      }
    }
    if (kept != i) {
      routes[kept] = std::move(routes[i]);
    }
    ++kept;
  }
  routes.erase(routes.begin() + static_cast<long>(kept), routes.end());
  return routes;
}

std::vector<config::Route> buildSubroute(std::vector<ConfigValue> values, AdaptState& state,
                                         bool needsSorting, const Location& where) {
  if (needsSorting) {
    const DirectiveOrderIndex& index = orderIndex(state);
    for (const auto& v : values) {
      if (index.position.count(v.directive) == 0) {
        throw ConfigError(where, "directive '" + v.directive +
                                     "' is not an ordered HTTP handler, so it cannot be used here - "
                                     "try placing within a route block or using the order global option");
      }
    }
    sortByIndex(values, index);
  }

  std::map<std::string, std::string> groupOf;
  for (const auto& dir : kMutuallyExclusive) {
    long count = std::count_if(values.begin(), values.end(),
                               [&dir](const ConfigValue& v) { return v.directive == dir; });
    // a rewrite always gets its own group so it never merges into a neighbour with the
    // same matcher: after an internal redirect that matcher may no longer hold
    groupOf[dir] = (count > 1 || dir == "rewrite") ? "group" + std::to_string(state.groupCounter++) : "";
  }

  std::vector<config::Route> routes;
  auto add = [&](config::Route r, const std::string& directive) {
    if (auto it = groupOf.find(directive); it != groupOf.end()) {
      r.group = it->second;
    }
    routes.push_back(std::move(r));
  };
  for (auto& v : values) {
    if (!v.isRoute()) {
      continue;
    }
    if (isLiteral(v)) {
      for (auto& r : v.route().handle.front().routes) {
        add(std::move(r), v.directive);
      }
      continue;
    }
    add(std::move(v.route()), v.directive);
  }
  return consolidateRoutes(std::move(routes));
}

}  // namespace gatehouse::parser
