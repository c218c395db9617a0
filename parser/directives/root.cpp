// The root directive: sets the site root variable that file-serving handlers read.
#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {

// root [<matcher>] <path>
//
// With one argument there is no matcher. With two, the first is read as a matcher token.
std::vector<ConfigValue> parseRoot(Helper& h) {
  h.next();  // the directive name
  int count = h.countRemainingArgs();
  if (count == 0) {
    throw h.err("too few arguments; must have at least a root path");
  }
  if (count > 2) {
    throw h.err("too many arguments; should only be a matcher and a path");
  }
  auto rootVar = [](const std::string& path) {
    return config::Handler{"vars", Json{{"root", path}}, {}, std::nullopt};
  };
  if (count == 1) {
    if (!h.nextArg()) {
      throw h.argErr();
    }
    std::string path = h.val();
    handler_util::refuseBlock(h);
    return h.newRoute(std::nullopt, rootVar(path));
  }

  std::optional<config::MatcherSet> matcherSet = h.extractMatcherSet();
  h.next();  // the name again: extracting the matcher resets the cursor
  if (!h.nextArg()) {
    throw h.argErr();
  }
  std::string path = h.val();
  handler_util::refuseBlock(h);
  return h.newRoute(matcherSet, rootVar(path));
}

}  // namespace gatehouse::parser
