// The `order` global option: moves a directive within the route order for this
// adaptation (order <dir> first|last|before <other>|after <other>).

#include <algorithm>

#include "gatehouse/parser/directive_table.h"
#include "httptype/adapt_steps.h"
#include "httptype/routes.h"

namespace gatehouse::parser {
namespace {

std::vector<std::string> applyOrder(Dispenser& d, std::vector<std::string> order) {
  d.next();  // the option name
  if (!d.next()) {
    throw d.argErr();
  }
  const std::string dir = d.val();
  if (findDirective(dir) == nullptr) {
    throw d.err(dir + " is not a registered directive");
  }
  if (!d.next()) {
    throw d.argErr();
  }
  const std::string pos = d.val();
  order.erase(std::remove(order.begin(), order.end(), dir), order.end());
  if (pos == "first" || pos == "last") {
    order.insert(pos == "first" ? order.begin() : order.end(), dir);
    if (d.nextArg()) {
      throw d.argErr();
    }
    return order;
  }
  if (pos != "before" && pos != "after") {
    throw d.err("unknown positional '" + pos + "'");
  }
  if (!d.nextArg()) {
    throw d.argErr();
  }
  const std::string other = d.val();
  if (d.nextArg()) {
    throw d.argErr();
  }
  auto it = std::find(order.begin(), order.end(), other);
  if (it == order.end()) {
    // Caddy 2.6.2 accepts an unknown (or unordered) anchor and leaves `dir` out of the order:
    // a site using it is then refused as "not an ordered HTTP handler".
    return order;
  }
  if (pos == "after") {
    ++it;
  }
  order.insert(it, dir);
  return order;
}

}  // namespace

ServerBlock takeOrderOptions(const ServerBlock& global, AdaptState& state) {
  ServerBlock rest = global;
  rest.segments.clear();
  std::vector<std::string> order = directiveOrder(state);
  bool changed = false;
  for (const auto& seg : global.segments) {
    if (seg.empty() || seg.front().text != "order") {
      rest.segments.push_back(seg);
      continue;
    }
    Dispenser d(seg);
    try {
      order = applyOrder(d, std::move(order));
    } catch (const ConfigError& e) {
      throw ConfigError(e.hasLocation() ? e.location() : seg.front().loc,
                        "parsing caddyfile tokens for 'order': " + e.message());
    }
    changed = true;
  }
  if (changed) {
    state.options["order"] = order;
  }
  return rest;
}

}  // namespace gatehouse::parser
