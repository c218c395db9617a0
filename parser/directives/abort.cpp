// The abort directive: closes the connection without a response.
#include "directives/handler_directives.h"

namespace gatehouse::parser {

// abort [<matcher>]
config::Handler parseAbort(Helper& h) {
  h.next();  // the directive name
  if (h.next() || h.nextBlock(0)) {
    throw h.argErr();
  }
  return config::Handler{"static_response", Json{{"abort", true}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
