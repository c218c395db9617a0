// The log_skip directive (and its deprecated name skip_log): no access log for the request.
#include "directives/handler_directives.h"

namespace gatehouse::parser {

// log_skip [<matcher>]
config::Handler parseLogSkip(Helper& h) {
  h.next();  // the directive name
  if (h.nextArg()) {
    throw h.argErr();
  }
  return config::Handler{"vars", Json{{"log_skip", true}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
