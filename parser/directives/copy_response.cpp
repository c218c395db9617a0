// copy_response and copy_response_headers: used inside reverse_proxy's handle_response
// blocks to send the upstream's response (or some of its headers) to the client.

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {

// copy_response [<matcher>] [<status>] {
//     status <status>
// }
config::Handler parseCopyResponse(Helper& h) {
  h.next();  // the directive name
  config::Handler handler;
  handler.name = "copy_response";
  auto args = h.remainingArgs();
  if (args.size() == 1) {
    std::string ignored;
    if (auto n = atoi(args[0], &ignored); n && *n > 0) {
      handler.fields["status_code"] = weakString(args[0]);
      return handler;
    }
  }
  for (int n = 0; h.nextBlock(n);) {
    if (h.val() != "status") {
      throw h.err("unrecognized subdirective '" + h.val() + "'");
    }
    if (!h.nextArg()) {
      throw h.argErr();
    }
    setOrOmit(handler.fields, "status_code", weakString(h.val()));
  }
  return handler;
}

// copy_response_headers [<matcher>] {
//     include <fields...>
//     exclude <fields...>
// }
config::Handler parseCopyResponseHeaders(Helper& h) {
  h.next();  // the directive name
  if (!h.remainingArgs().empty()) {
    throw h.argErr();
  }
  Json include = Json::array();
  Json exclude = Json::array();
  for (int n = 0; h.nextBlock(n);) {
    const std::string sub = h.val();
    if (sub != "include" && sub != "exclude") {
      throw h.err("unrecognized subdirective '" + sub + "'");
    }
    for (const auto& f : h.remainingArgs()) {
      (sub == "include" ? include : exclude).push_back(f);
    }
  }
  config::Handler handler;
  handler.name = "copy_response_headers";
  setOrOmit(handler.fields, "exclude", exclude);
  setOrOmit(handler.fields, "include", include);
  return handler;
}

}  // namespace gatehouse::parser::proxy
