#include "router/route.h"

#include <algorithm>

#include "gatehouse/runtime/error_traces.h"
#include "router/matcher_error.h"

namespace gatehouse::router {

using runtime::Exchange;
using runtime::Outcome;

namespace {
bool routeMatches(const CompiledRoute& route, Exchange& ex) {
  if (route.match.empty()) {
    return true;
  }
  const bool matched =
      std::any_of(route.match.begin(), route.match.end(), [&](const MatcherSet& s) { return s.match(ex); });
  if (matched) {
    takeMatcherError(ex);
  }
  return matched;
}

// Caddy: when no set matched but a matcher asked to short-circuit, the route fails with
// the matcher's error instead of being skipped.
bool failedByMatcher(Exchange& ex) {
  auto err = takeMatcherError(ex);
  if (!err) {
    return false;
  }
  // Only the file matcher's `=NNN` errors carry a status (a HandlerError in Caddy).
  ex.fail(err->status == 0 ? 500 : err->status, std::move(err->message),
          err->status == 0 ? runtime::traces::kNoCaddyOrigin : runtime::traces::kFileMatcherStatus);
  ex.error.plain = err->status == 0;
  return true;
}
}  // namespace

bool RouteList::anyRouteMatches(Exchange& ex) const {
  const bool any = std::any_of(routes_.begin(), routes_.end(),
                               [&](const CompiledRoute& r) { return routeMatches(r, ex); });
  takeMatcherError(ex);  // a probe only: nothing runs
  return any;
}

Outcome RouteList::runFrom(Exchange& ex, size_t first, size_t firstHandler) const {
  for (size_t r = first; r < routes_.size(); ++r) {
    const auto& route = routes_[r];
    const bool resuming = r == first && firstHandler > 0;  // matched before the pause
    if (!resuming && !routeMatches(route, ex)) {
      if (failedByMatcher(ex)) {
        return Outcome::Handled;
      }
      continue;
    }
    if (!resuming && !route.group.empty()) {
      auto used = std::find(ex.usedGroups.begin(), ex.usedGroups.end(), route.group);
      if (used != ex.usedGroups.end()) {
        continue;
      }
      ex.usedGroups.push_back(route.group);
    }
    for (size_t h = resuming ? firstHandler : 0; h < route.handlers.size(); ++h) {
      Outcome o = route.handlers[h]->handle(ex);
      if (o == Outcome::Paused) {
        ex.chainRest.push_back({this, r, h + 1});
      }
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
