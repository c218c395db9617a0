// The method directive: changes the request method (Caddy's rewrite handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {

// method [<matcher>] <method>
config::Handler parseMethod(Helper& h) {
  h.next();  // the directive name
  if (!h.nextArg()) {
    throw h.argErr();
  }
  if (h.nextArg()) {
    throw h.argErr();
  }
  std::string method = h.val();
  handler_util::refuseBlock(h);
  return config::Handler{"rewrite", Json{{"method", method}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
