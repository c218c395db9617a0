// The method directive: changes the request method (Caddy's rewrite handler).
#include "directives/handler_directives.h"

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
  return config::Handler{"rewrite", Json{{"method", h.val()}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
