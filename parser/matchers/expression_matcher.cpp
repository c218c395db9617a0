// expression: a CEL expression.
//
//     expression <cel...>
//     expression "<cel>"        (one token: named after the definition)
//     @name `<cel>`             (shorthand; see matcher_definitions.cpp)

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parseExpressionMatcher(Dispenser& d, const MatcherContext& ctx, Json& value) {
  // Caddy reads only the first expression line of a definition; later ones are ignored.
  if (!value.is_null()) {
    return;
  }
  d.next();
  if (d.countRemainingArgs() > 1) {
    // Several tokens: the user's own quotes may be CEL string literals, so keep them.
    std::string expr;
    bool first = true;
    for (const Token& token : d.remainingArgsRaw()) {
      expr += (first ? "" : " ") + rawText(token);
      first = false;
    }
    value = expr;  // no name: Caddy marshals a nameless expression as a bare string
    return;
  }
  if (!d.nextArg()) {
    throw d.argErr();
  }
  // One token: its quotes only delimited the expression (a CEL expression is never just a
  // string literal), so the unquoted text is the expression.
  if (ctx.name.empty()) {
    value = d.val();
  } else {
    value = Json::object();
    value["expr"] = d.val();
    value["name"] = ctx.name;
  }
}

}  // namespace gatehouse::parser::matchers
