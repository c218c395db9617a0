// route [<matcher>] {
//     <directives...>
// }
// Unlike handle, keeps its directives in the order written.
#include "directives/builtins.h"
#include "httptype/routes.h"

namespace gatehouse::parser::directives {

config::Handler parseRoute(Helper& h) {
  Location where = h.location();
  std::vector<ConfigValue> values = h.parseSegmentAsConfig();
  for (const auto& v : values) {
    if (!v.isRoute()) {
      throw h.err(v.directive + " directive returned something other than an HTTP route or subroute: " +
                  config::dump(v.json(), false) + " (only handler directives can be used in routes)");
    }
  }
  return config::Handler::subroute(buildSubroute(std::move(values), h.state(), false, where));
}

}  // namespace gatehouse::parser::directives
