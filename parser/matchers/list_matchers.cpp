// host, path and method: matchers whose value is a plain list of their arguments.
//
//     host   <hosts...>
//     path   <paths...>
//     method <verbs...>

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {
namespace {

void parseList(Dispenser& d, const std::string& what, Json& value) {
  while (d.next()) {
    std::vector<std::string> args = d.remainingArgs();
    if (!args.empty()) {
      appendStrings(value, args);
    }
    if (d.nextBlock(0)) {
      throw d.err("malformed " + what + " matcher: blocks are not supported");
    }
  }
  // Left null when no argument was given: Go encodes the nil slice as null.
}

}  // namespace

void parseHostMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  parseList(d, "host", value);
}

void parsePathMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  parseList(d, "path", value);
}

void parseMethodMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  parseList(d, "method", value);
}

}  // namespace gatehouse::parser::matchers
