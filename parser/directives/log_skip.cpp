// The log_skip directive (and its deprecated name skip_log): no access log for the request.
#include "directives/handler_directives.h"

namespace gatehouse::parser {

// log_skip [<matcher>]
// Each name sets the variable it had in its own Caddy release: caddy 2.6.2's skip_log sets
// "skip_log", newer Caddy's log_skip sets "log_skip" (the access logger honours both).
config::Handler parseLogSkip(Helper& h) {
  h.next();  // the directive name
  const std::string var = h.val() == "skip_log" ? "skip_log" : "log_skip";
  if (h.nextArg()) {
    throw h.argErr();
  }
  return config::Handler{"vars", Json{{var, true}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
