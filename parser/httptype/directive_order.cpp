// The `order` global option: moves a directive within the route order for this
// adaptation (order <dir> first|last|before <other>|after <other>).

#include <algorithm>

#include "gatehouse/parser/directive_table.h"
#include "httptype/adapt_steps.h"
#include "httptype/routes.h"

namespace gatehouse::parser {
namespace {

// One statement: `order <dir> first|last|before <other>|after <other>`, the cursor on the
// token read as the option name. True when the statement ends the option (first/last).
bool applyStatement(Dispenser& d, std::vector<std::string>& order) {
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
    return true;
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
    return false;
  }
  if (pos == "after") {
    ++it;
  }
  order.insert(it, dir);
  return false;
}

// Caddy 2.6.2 reads the option in a loop: after a `before`/`after` statement whatever
// follows (a block) is read as more statements, each first token taken for the option
// name: `order a before b {` + `}` is refused as "} is not a registered directive", and
// `{ c first }` moves c. A first/last statement ends the option.
std::vector<std::string> applyOrder(Dispenser& d, std::vector<std::string> order) {
  while (d.next()) {
    if (applyStatement(d, order)) {
      break;
    }
  }
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
