// The vars directive: sets request variables (Caddy's vars handler).
#include <map>

#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {
namespace {

// One "<name> <value>" pair, the name being the current token; the value keeps its type
// (number, boolean) unless quoted.
void readVar(Helper& h, std::map<std::string, Json>& vars) {
  std::string name = h.val();
  if (!h.nextArg()) {
    throw h.argErr();
  }
  vars[name] = handler_util::scalarVal(h);
  if (h.nextArg()) {
    throw h.argErr();
  }
}

}  // namespace

// vars [<matcher>] [<name> <value>] {
//     <name> <value>
//     ...
// }
config::Handler parseVars(Helper& h) {
  std::map<std::string, Json> vars;
  while (h.next()) {
    if (h.nextArg()) {
      readVar(h, vars);
    }
    for (int nesting = h.nesting(); h.nextBlock(nesting);) {
      readVar(h, vars);
    }
  }
  return config::Handler{"vars", handler_util::sortedObject(vars), {}, std::nullopt};
}

}  // namespace gatehouse::parser
