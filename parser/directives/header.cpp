// The header directive: response header manipulation (Caddy's headers handler).
#include <optional>

#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "directives/header_ops.h"
#include "gatehouse/parser/helper.h"
#include "gatehouse/parser/matchers.h"

namespace gatehouse::parser {
namespace {

using handler_util::RespHeaderOps;

config::Handler headersHandler(const RespHeaderOps& resp) {
  return config::Handler{"headers", Json{{"response", resp.toJson()}}, {}, std::nullopt};
}

// Reads "<field> [<value>] [<replacement>]" from the rest of the line (the field is the
// current token) and applies it to `resp`.
void applyLine(Helper& h, RespHeaderOps& resp, const std::string& field) {
  std::string value;
  std::optional<std::string> replacement;
  if (h.nextArg()) {
    value = h.val();
  }
  if (h.nextArg()) {
    replacement = h.val();
  }
  std::string error = handler_util::applyHeaderOp(resp.ops, &resp, field, value, replacement);
  if (!error.empty()) {
    throw h.err(error);
  }
}

// "match" inside the block: a response matcher that conditions the operations.
void parseMatch(Helper& h, RespHeaderOps& resp) {
  Dispenser sub = h.newFromNextSegment();
  sub.next();  // onto "match", the matcher's name
  resp.require = parseResponseMatcher(sub);
}

}  // namespace

// header [<matcher>] [[+|-|?|>]<field> [<value|regexp>] [<replacement>]] {
//     [+]<field> [<value|regexp> [<replacement>]]
//     ?<field> <default_value>
//     -<field>
//     ><field>
//     defer
//     match <response_matcher>
// }
//
// Fields given on the first line exclude a block of fields. Default ("?") fields in a block
// go into a second handler, because their condition applies to the whole handler.
std::vector<ConfigValue> parseHeader(Helper& h) {
  h.next();  // the directive name
  std::optional<config::MatcherSet> matcherSet = h.extractMatcherSet();
  h.next();  // the name again: extracting the matcher resets the cursor

  RespHeaderOps handler;
  RespHeaderOps withRequire;
  bool hasArgs = false;
  // 2.6.2 reads each further line of the segment as another `header` line: tokens of lower
  // lines after a snippet defined further down join it (see isNextOnSameLine).
  do {
    if (h.nextArg()) {
      hasArgs = true;
      applyLine(h, handler, h.val());
      if (!handler.ops.del.empty()) {
        handler.deferred = true;
      }
    }

    while (h.nextBlock(0)) {
      std::string field = h.val();
      if (field == "defer") {
        handler.deferred = true;
        continue;
      }
      if (field == "match") {
        parseMatch(h, handler);
        continue;
      }
      if (hasArgs) {
        throw h.err("cannot specify headers in both arguments and block");
      }
      if (!field.empty() && field.back() == ':') {
        field.pop_back();  // "Field:" as in curl's -H syntax
      }
      applyLine(h, field.starts_with('?') ? withRequire : handler, field);
    }
  } while (h.next());

  std::vector<ConfigValue> values;
  if (!handler.empty()) {
    auto route = h.newRoute(matcherSet, headersHandler(handler));
    values.insert(values.end(), route.begin(), route.end());
  }
  if (!withRequire.empty()) {
    auto route = h.newRoute(matcherSet, headersHandler(withRequire));
    values.insert(values.end(), route.begin(), route.end());
  }
  return values;
}

}  // namespace gatehouse::parser
