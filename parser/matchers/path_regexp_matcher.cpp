// path_regexp: a regular expression on the request path.
//
//     path_regexp [<name>] <regexp>
//
// Without a name, the regexp takes the definition's name, so {re.<def>.1} works.

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parsePathRegexpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value) {
  while (d.next()) {
    // One definition holds one pattern: a second would silently replace the first.
    if (value.is_object() && !value.value("pattern", std::string()).empty()) {
      throw d.err("regular expression can only be used once per named matcher");
    }
    std::string name;
    std::string pattern;
    std::vector<std::string> args = d.remainingArgs();
    if (args.size() == 1) {
      pattern = args[0];
    } else if (args.size() == 2) {
      name = args[0];
      pattern = args[1];
    } else {
      throw d.argErr();
    }
    if (name.empty()) {
      name = ctx.name;
    }
    value = regexpJson(name, pattern);
    if (d.nextBlock(0)) {
      throw d.err("malformed path_regexp matcher: blocks are not supported");
    }
  }
}

}  // namespace gatehouse::parser::matchers
