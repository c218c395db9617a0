// The error directive: triggers an error for the error routes (Caddy's error handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "options/option_util.h"

namespace gatehouse::parser {

// error [<matcher>] <status>|<message> [<status>] {
//     message <text>
// }
config::Handler parseError(Helper& h) {
  h.next();  // the directive name
  std::string status;
  std::string message;
  std::vector<std::string> args = h.remainingArgs();
  if (args.size() == 1) {
    auto n = options::parseInt(args[0]);
    bool isStatus = args[0].size() == 3 && n && *n > 0;
    (isStatus ? status : message) = args[0];
  } else if (args.size() == 2) {
    message = args[0];
    status = args[1];
  } else {
    throw h.argErr();
  }

  while (h.nextBlock(0)) {
    if (h.val() != "message") {
      throw h.err("unrecognized subdirective '" + h.val() + "'");
    }
    if (!message.empty()) {
      throw h.err("message already specified");
    }
    if (!handler_util::allArgs(h, message)) {
      throw h.argErr();
    }
  }

  Json fields = Json::object();
  if (!message.empty()) {
    fields["error"] = message;
  }
  if (!status.empty()) {
    fields["status_code"] = handler_util::weakString(status);
  }
  return config::Handler{"error", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
