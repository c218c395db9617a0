// Inline matcher tokens after a directive name (Caddy's matcherSetFromMatcherToken):
// "*" matches all, "/path" is a path matcher, "@name" refers to a definition.

#include "gatehouse/parser/matchers.h"

namespace gatehouse::parser {

bool matcherSetFromToken(const Token& token, const MatcherDefs& defs,
                         std::optional<config::MatcherSet>& out) {
  const std::string& text = token.text;
  if (text == "*") {
    out.reset();  // match all: the same as no matcher
    return true;
  }
  if (!text.empty() && text[0] == '/') {
    config::MatcherSet set = config::MatcherSet::object();
    set["path"] = config::Json::array({text});
    out = std::move(set);
    return true;
  }
  if (!text.empty() && text[0] == '@') {
    auto it = defs.find(text);
    if (it == defs.end()) {
      throw ConfigError(token.loc, "unrecognized matcher name: " + text);
    }
    out = it->second;
    return true;
  }
  return false;
}

}  // namespace gatehouse::parser
