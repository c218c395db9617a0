// Named matcher definitions (Caddy's parseMatcherDefinitions):
//
//     @name <matcher> <args...>
//     @name {
//         <matcher> <args...>
//         ...
//     }
//     @name `<cel expression>`          (a quoted lone argument means `expression`)

#include "gatehouse/parser/matchers.h"
#include "matchers/matcher_modules.h"

namespace gatehouse::parser {

void parseMatcherDefinition(Dispenser& d, MatcherDefs& defs) {
  d.next();
  const std::string definitionName = d.val();
  if (defs.count(definitionName) != 0) {
    throw d.err("matcher is defined more than once: " + definitionName);
  }
  matchers::MatcherContext ctx{definitionName.substr(definitionName.empty() ? 0 : 1)};
  config::MatcherSet set = config::MatcherSet::object();

  if (d.nextArg()) {
    if (d.token().quoted()) {
      // No matcher name before a quoted token: it can only be a CEL expression. The inserted
      // "expression" token copies the expression's position, so errors point at the line.
      Token name = d.token();
      name.text = "expression";
      matchers::applyModule("expression", {name, d.token()}, ctx, set);
      defs[definitionName] = std::move(set);
      return;
    }
    d.prev();  // it was the first matcher's name; let the loop below read it
  }

  // A matcher used on several lines is parsed once over all its lines, as Caddy does, so
  // lists and maps merge and single-valued matchers apply their own rules.
  for (auto& [name, tokens] : matchers::collectModuleSegments(d)) {
    matchers::applyModule(name, std::move(tokens), ctx, set);
  }
  matchers::sortKeys(set);
  defs[definitionName] = std::move(set);
}

}  // namespace gatehouse::parser
