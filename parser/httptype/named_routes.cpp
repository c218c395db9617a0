// Named routes: &(name) { ... } blocks become routes that `invoke` can call by name.

#include "httptype/adapt_steps.h"

namespace gatehouse::parser {
namespace {

std::string routeName(const Token& key) {
  const std::string& t = key.text;
  if (t.size() > 3 && t.rfind("&(", 0) == 0 && t.back() == ')') {
    return t.substr(2, t.size() - 3);
  }
  return t;
}

}  // namespace

NamedRoutes extractNamedRoutes(std::vector<ServerBlock>& blocks, AdaptState& state) {
  NamedRoutes named;
  // named routes number their groups and keep their scratch state apart from the sites
  AdaptState own;
  own.options = state.options;
  std::vector<ServerBlock> sites;
  std::vector<ServerBlock> routes;
  for (auto& b : blocks) {
    (b.isNamedRoute ? routes : sites).push_back(std::move(b));
  }
  blocks = std::move(sites);

  for (auto& b : routes) {
    if (b.segments.empty() || b.keys.empty()) {
      continue;
    }
    Segment whole;
    for (auto& seg : b.segments) {
      replaceShorthands(seg);
      whole.insert(whole.end(), seg.begin(), seg.end());
    }
    const std::string name = routeName(b.keys.front());
    if (named.count(name)) {
      throw ConfigError(b.keys.front().loc, "cannot have duplicate named_routes: " + name);
    }
    if (whole.empty() || whole.front().text == "{") {
      // the subroute parser expects a leading name token before the block
      Token lead = b.keys.front();
      lead.text = name;
      whole.insert(whole.begin(), lead);
    }
    own.blockState.erase("named_route");
    Helper h(Dispenser(whole), own, b, nullptr);
    config::Handler sub = h.parseSegmentAsSubroute();

    NamedRouteDef def;
    if (sub.routes.size() == 1 && sub.routes.front().match.empty()) {
      // a single unmatched route is inlined; Caddy keeps only its first handler
      def.route.handle.push_back(sub.routes.front().handle.front());
    } else {
      def.route.handle.push_back(std::move(sub));
    }
    if (auto it = own.blockState.find("named_route"); it != own.blockState.end() && it->second.is_object()) {
      for (const auto& [invoked, _] : it->second.items()) {
        def.invokes.push_back(invoked);
      }
    }
    named[name] = std::move(def);
  }
  for (auto& w : own.warnings) {
    state.warnings.push_back(std::move(w));
  }
  return named;
}

}  // namespace gatehouse::parser
