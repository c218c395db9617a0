// handle_path <path_matcher> {
//     <directives...>
// }
// A handle block that also strips the matched path prefix before its directives run.
#include "directives/builtins.h"

namespace gatehouse::parser::directives {

std::vector<ConfigValue> parseHandlePath(Helper& h) {
  h.next();  // the directive name
  if (!h.nextArg()) {
    throw h.argErr();
  }
  const std::string path = h.val();
  if (path.empty() || path[0] != '/') {
    throw h.err("path matcher must begin with '/', got " + path);
  }
  // "/api/*" strips "/api", not "/api/"
  std::string strip = path;
  if (strip.size() >= 2 && strip.compare(strip.size() - 2, 2, "/*") == 0) {
    strip.resize(strip.size() - 2);
  } else if (!strip.empty() && strip.back() == '*') {
    strip.pop_back();
  }

  h.reset();
  h.next();
  config::Handler subroute = h.parseSegmentAsSubroute();

  config::Route stripRoute;
  config::Handler rewrite;
  rewrite.name = "rewrite";
  rewrite.fields["strip_path_prefix"] = strip;
  stripRoute.handle.push_back(std::move(rewrite));
  subroute.routes.insert(subroute.routes.begin(), std::move(stripRoute));

  return h.newRoute(Json{{"path", Json::array({path})}}, std::move(subroute));
}

}  // namespace gatehouse::parser::directives
