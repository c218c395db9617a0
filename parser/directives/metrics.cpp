// The metrics directive: serves Prometheus metrics (Caddy's metrics handler).
#include "directives/handler_directives.h"

namespace gatehouse::parser {

// metrics [<matcher>] {
//     disable_openmetrics
// }
config::Handler parseMetrics(Helper& h) {
  h.next();  // the directive name
  if (!h.remainingArgs().empty()) {
    throw h.argErr();
  }
  Json fields = Json::object();
  while (h.nextBlock(0)) {
    if (h.val() != "disable_openmetrics") {
      throw h.err("unrecognized subdirective \"" + h.val() + "\"");
    }
    fields["disable_openmetrics"] = true;
  }
  return config::Handler{"metrics", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
