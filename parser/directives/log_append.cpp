// The log_append directive: adds a field to the request's access log entry.
#include "directives/handler_directives.h"

namespace gatehouse::parser {

// log_append [<matcher>] <key> <value>
config::Handler parseLogAppend(Helper& h) {
  h.next();  // the directive name
  if (!h.nextArg()) {
    throw h.argErr();
  }
  std::string key = h.val();
  if (!h.nextArg()) {
    throw h.argErr();
  }
  Json fields = Json::object();
  if (!key.empty()) {
    fields["key"] = key;
  }
  if (!h.val().empty()) {
    fields["value"] = h.val();
  }
  return config::Handler{"log_append", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
