// The intercept directive: handle_response and replace_status for responses written by
// any handler further down the chain (Caddy's intercept.Intercept).

#include "directives/reverse_proxy.h"

namespace gatehouse::parser::proxy {

// intercept [<matcher>] {
//     @name {
//         status <code...>
//         header <field> [<value>]
//     }
//     replace_status [<matcher>] <status_code>
//     handle_response [<matcher>] {
//         <directives...>
//     }
// }
config::Handler parseIntercept(Helper& h) {
  std::map<std::string, Json> matchers;
  std::vector<std::vector<Token>> segments;
  Json handlers = Json::array();
  h.next();  // the directive name
  for (int n = 0; h.nextBlock(n);) {
    const std::string sub = h.val();
    if (!sub.empty() && sub[0] == '@') {
      parseNamedResponseMatcher(h, matchers);
    } else if (sub == "handle_response") {
      segments.push_back(h.nextSegment());
    } else if (sub == "replace_status") {
      parseReplaceStatus(h, matchers, handlers);
    } else {
      throw h.err("unrecognized subdirective " + sub);
    }
  }
  finalizeResponseHandlers(h, matchers, segments, handlers);
  config::Handler handler;
  handler.name = "intercept";
  setOrOmit(handler.fields, "handle_response", sortedKeys(handlers));
  return handler;
}

}  // namespace gatehouse::parser::proxy
