#include "router/route.h"

#include <algorithm>

namespace gatehouse::router {

using runtime::Exchange;
using runtime::Outcome;

namespace {
bool routeMatches(const CompiledRoute& route, Exchange& ex) {
  if (route.match.empty()) {
    return true;
  }
  return std::any_of(route.match.begin(), route.match.end(), [&](const MatcherSet& s) { return s.match(ex); });
}
}  // namespace

Outcome RouteList::run(Exchange& ex) const {
  for (const auto& route : routes_) {
    if (!routeMatches(route, ex)) {
      continue;
    }
    if (!route.group.empty()) {
      auto used = std::find(ex.usedGroups.begin(), ex.usedGroups.end(), route.group);
      if (used != ex.usedGroups.end()) {
        continue;
      }
      ex.usedGroups.push_back(route.group);
    }
    for (const auto& h : route.handlers) {
      Outcome o = h->handle(ex);
      if (o != Outcome::Continue) {
        return o;
      }
    }
    if (route.terminal) {
      return Outcome::Handled;
    }
  }
  return Outcome::Continue;
}

}  // namespace gatehouse::router
