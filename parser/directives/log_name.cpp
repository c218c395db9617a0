// The log_name directive: names the access loggers that log the request.
#include "directives/handler_directives.h"

namespace gatehouse::parser {

// log_name [<matcher>] <names...>
config::Handler parseLogName(Helper& h) {
  h.next();  // the directive name
  std::vector<std::string> names = h.remainingArgs();
  Json list = names.empty() ? Json(nullptr) : Json(names);
  return config::Handler{"vars", Json{{"access_logger_names", list}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
