// expression: a CEL expression.
//
//     expression <cel...>
//     expression "<cel>"        (one token: named after the definition)
//     @name `<cel>`             (shorthand; see matcher_definitions.cpp)

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parseExpressionMatcher(Dispenser& d, const MatcherContext& ctx, Json& value) {
  // Caddy 2.6.2 reads every expression line of a definition, so the last one wins (newer
  // Caddy keeps the first); no current fixture has two.
  while (d.next()) {
    if (d.countRemainingArgs() > 1) {
      // Several tokens: the user's own quotes may be CEL string literals, so keep them.
      std::string expr;
      bool first = true;
      for (const Token& token : d.remainingArgsRaw()) {
        expr += (first ? "" : " ") + rawText(token);
        first = false;
      }
      value = expr;  // no name: Caddy marshals a nameless expression as a bare string
      continue;
    }
    // One token: its quotes only delimited the expression (a CEL expression is never just a
    // string literal), so the unquoted text is the expression. With none, 2.6.2 takes the
    // word `expression` itself, which its CEL compiler then refuses at provisioning.
    d.nextArg();
    if (ctx.name.empty()) {
      value = d.val();
    } else {
      value = Json::object();
      value["expr"] = d.val();
      value["name"] = ctx.name;
    }
  }
}

}  // namespace gatehouse::parser::matchers
