// invoke [<matcher>] <route_name>
#include "directives/builtins.h"

namespace gatehouse::parser::directives {

config::Handler parseInvoke(Helper& h) {
  h.next();  // the directive name
  if (!h.nextArg()) {
    throw h.argErr();
  }
  const std::string name = h.val();
  if (h.next() || h.nextBlock(0)) {
    throw h.argErr();
  }
  // the adapter moves these into the site's pile, so the server gets the named routes
  Json& invoked = h.state().blockState["named_route"];
  if (!invoked.is_object()) {
    invoked = Json::object();
  }
  invoked[name] = true;

  config::Handler handler;
  handler.name = "invoke";
  handler.fields["name"] = name;
  return handler;
}

}  // namespace gatehouse::parser::directives
