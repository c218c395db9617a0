#pragma once
// Route assembly shared by the adapter and the Helper: directive ordering, subroute
// building with Caddy's mutual-exclusion groups, and merging of adjacent equal routes.

#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/helper.h"

namespace gatehouse::parser {

// The directive order in force for this adaptation: Caddy's default, or the one the
// `order` global option produced (kept in state.options["order"]).
std::vector<std::string> directiveOrder(const AdaptState& state);

// A directive's routes that must stay together and in order without a subroute in the
// output (Caddy's literal Subroute value, which php_fastcgi returns): one value that sorts as
// Caddy sorts a non-Route (never before or after another of its directive by path), spliced
// back into its routes by buildSubroute.
ConfigValue literalSubroute(std::vector<config::Route> routes);

// Sorts route values by directive order, then by path specificity (Caddy's sortRoutes).
void sortRoutes(std::vector<ConfigValue>& values, const std::vector<std::string>& order);

// Turns "route" values into the routes of one subroute: checks every directive is
// ordered (when sorting), sorts, puts handle/rewrite/root routes into groups, and merges
// adjacent routes with equal matchers (Caddy's buildSubroute). Throws ConfigError.
std::vector<config::Route> buildSubroute(std::vector<ConfigValue> values, AdaptState& state,
                                         bool needsSorting, const Location& where);

// Merges each route into the one before it when matchers, terminal and group are equal.
std::vector<config::Route> consolidateRoutes(std::vector<config::Route> routes);

}  // namespace gatehouse::parser
