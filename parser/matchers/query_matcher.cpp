// query: query string parameters.
//
//     query <key>=<val>...      (repeated keys add values: OR)

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parseQueryMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  if (!value.is_object()) {
    value = Json::object();  // an empty query matcher matches an empty query string
  }
  while (d.next()) {
    for (const std::string& pair : d.remainingArgs()) {
      if (pair.empty()) {
        continue;
      }
      const auto eq = pair.find('=');
      if (eq == std::string::npos) {
        // Caddy names the line's last argument here (where its cursor stands), not `pair`.
        throw d.err("malformed query matcher token: " + d.val() + "; must be in param=val format");
      }
      appendStrings(value[pair.substr(0, eq)], {pair.substr(eq + 1)});
    }
    if (d.nextBlock(0)) {
      throw d.err("malformed query matcher: blocks are not supported");
    }
  }
  sortKeys(value);
}

}  // namespace gatehouse::parser::matchers
