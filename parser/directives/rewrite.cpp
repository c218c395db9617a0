// The rewrite directive: sets the request URI (Caddy's rewrite handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {

// rewrite [<matcher>] <to>
//
// With one argument there is no matcher. With two, the first is read as a matcher token.
std::vector<ConfigValue> parseRewrite(Helper& h) {
  h.next();  // the directive name
  int count = h.countRemainingArgs();
  if (count == 0) {
    throw h.err("too few arguments; must have at least a rewrite URI");
  }
  if (count > 2) {
    throw h.err("too many arguments; should only be a matcher and a URI");
  }
  auto rewriteTo = [](const std::string& uri) {
    return config::Handler{"rewrite", Json{{"uri", uri}}, {}, std::nullopt};
  };
  if (count == 1) {
    if (!h.nextArg()) {
      throw h.argErr();
    }
    std::string uri = h.val();
    handler_util::refuseBlock(h);
    return h.newRoute(std::nullopt, rewriteTo(uri));
  }

  std::optional<config::MatcherSet> matcherSet = h.extractMatcherSet();
  h.next();  // the name again: extracting the matcher resets the cursor
  h.next();  // the URI
  std::string uri = h.val();
  handler_util::refuseBlock(h);
  return h.newRoute(matcherSet, rewriteTo(uri));
}

}  // namespace gatehouse::parser
