// bind <addresses...> {
//     protocols [h1|h2|h2c|h3] [...]
// }
#include "directives/builtins.h"

namespace gatehouse::parser::directives {

std::vector<ConfigValue> parseBind(Helper& h) {
  h.next();  // the directive name
  Json value = Json::object();
  value["addresses"] = h.remainingArgs();
  while (h.nextBlock(0)) {
    if (h.val() != "protocols") {
      throw h.err("unknown subdirective: " + h.val());
    }
    auto protocols = h.remainingArgs();
    if (protocols.empty()) {
      throw h.err("protocols requires one or more arguments");
    }
    value["protocols"] = protocols;
  }
  return single(ConfigValue{"bind", value, ""});
}

}  // namespace gatehouse::parser::directives
