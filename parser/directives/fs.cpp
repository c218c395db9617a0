// The fs directive: selects the file system that file-serving handlers read.
#include "directives/handler_directives.h"

namespace gatehouse::parser {

// fs [<matcher>] <filesystem>
config::Handler parseFs(Helper& h) {
  h.next();  // the directive name
  if (!h.nextArg()) {
    throw h.argErr();
  }
  if (h.nextArg()) {
    throw h.argErr();
  }
  return config::Handler{"vars", Json{{"fs", h.val()}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
