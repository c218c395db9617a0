// The respond directive: a static response (Caddy's static_response handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "options/option_util.h"

namespace gatehouse::parser {
namespace {

// A lone argument is a status code when it is a positive three-digit integer.
bool looksLikeStatus(const std::string& arg) {
  auto n = options::parseInt(arg);
  return arg.size() == 3 && n && *n > 0;
}

}  // namespace

// respond [<matcher>] <status>|<body> [<status>] {
//     body <text>
//     close
// }
config::Handler parseRespond(Helper& h) {
  h.next();  // the directive name
  std::string status;
  std::string body;
  bool close = false;
  std::vector<std::string> args = h.remainingArgs();
  if (args.size() == 1) {
    (looksLikeStatus(args[0]) ? status : body) = args[0];
  } else if (args.size() == 2) {
    body = args[0];
    status = args[1];
  } else {
    throw h.argErr();
  }

  while (h.nextBlock(0)) {
    if (h.val() == "body") {
      if (!body.empty()) {
        throw h.err("body already specified");
      }
      if (!handler_util::allArgs(h, body)) {
        throw h.argErr();
      }
    } else if (h.val() == "close") {
      if (close) {
        throw h.err("close already specified");
      }
      close = true;
    } else {
      throw h.err("unrecognized subdirective '" + h.val() + "'");
    }
  }

  Json fields = Json::object();
  if (!status.empty()) {
    fields["status_code"] = handler_util::weakString(status);
  }
  if (!body.empty()) {
    fields["body"] = body;
  }
  if (close) {
    fields["close"] = true;
  }
  return config::Handler{"static_response", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
