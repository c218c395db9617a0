// The request_header directive: request header manipulation (Caddy's headers handler).
#include <optional>

#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "directives/header_ops.h"
#include "gatehouse/parser/helper.h"

namespace gatehouse::parser {

// request_header [<matcher>] [[+|-]<field> [<value|regexp>] [<replacement>]]
std::vector<ConfigValue> parseRequestHeader(Helper& h) {
  h.next();  // the directive name
  std::optional<config::MatcherSet> matcherSet = h.extractMatcherSet();
  h.next();  // the name again: extracting the matcher resets the cursor

  if (!h.nextArg()) {
    throw h.argErr();
  }
  std::string field = h.val();
  if (!field.empty() && field.back() == ':') {
    field.pop_back();  // "Field:" as in curl's -H syntax
  }
  std::string value;
  std::optional<std::string> replacement;
  if (h.nextArg()) {
    value = h.val();
  }
  if (h.nextArg()) {
    replacement = h.val();
    if (h.nextArg()) {
      throw h.argErr();
    }
  }
  handler_util::refuseBlock(h);

  handler_util::HeaderOps ops;
  std::string error = handler_util::applyHeaderOp(ops, nullptr, field, value, replacement);
  if (!error.empty()) {
    throw h.err(error);
  }
  return h.newRoute(matcherSet,
                    config::Handler{"headers", Json{{"request", ops.toJson()}}, {}, std::nullopt});
}

}  // namespace gatehouse::parser
