// handle [<matcher>] {
//     <directives...>
// }
// Mutually exclusive with its sibling handle blocks (the adapter groups them).
#include "directives/builtins.h"

namespace gatehouse::parser::directives {

config::Handler parseHandle(Helper& h) {
  return h.parseSegmentAsSubroute();
}

}  // namespace gatehouse::parser::directives
