// not: negates matcher sets; each `not` line or block is one set, and the request must match
// none of them.
//
//     not <matcher> <args...>
//     not {
//         <matcher> <args...>
//         ...
//     }

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {
namespace {

// One nested matcher set (Caddy's ParseCaddyfileNestedMatcherSet). Nested modules get no
// definition name: Caddy gives their dispenser no context.
Json parseNestedSet(Dispenser& d) {
  Json set = Json::object();
  for (auto& [name, tokens] : collectModuleSegments(d)) {
    if (findModuleParser(name) == nullptr) {
      throw d.err("getting matcher module '" + name + "': module not registered: http.matchers." + name);
    }
    applyModule(name, std::move(tokens), MatcherContext{}, set);
  }
  sortKeys(set);
  return set;
}

}  // namespace

void parseNotMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  if (!value.is_array()) {
    value = Json::array();
  }
  while (d.next()) {
    value.push_back(parseNestedSet(d));
  }
}

}  // namespace gatehouse::parser::matchers
