// The tracing directive: OpenTelemetry tracing (Caddy's tracing handler).
#include <map>

#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {
namespace {

// span_attributes {
//     <key> <value>
// }
Json parseSpanAttributes(Helper& h) {
  if (h.nextArg()) {
    throw h.argErr();
  }
  std::map<std::string, Json> attrs;
  for (int nesting = h.nesting(); h.nextBlock(nesting);) {
    std::string key = h.val();
    if (!h.nextArg()) {
      throw h.argErr();
    }
    attrs[key] = h.val();
    if (h.nextArg()) {
      throw h.argErr();
    }
  }
  return handler_util::sortedObject(attrs);
}

}  // namespace

// tracing [<matcher>] {
//     [span <span_name>]
//     [span_attributes {
//         <key> <value>
//     }]
// }
config::Handler parseTracing(Helper& h) {
  h.next();  // the directive name
  if (h.nextArg()) {
    throw h.argErr();
  }
  std::string span;
  Json attrs;
  while (h.nextBlock(0)) {
    if (h.val() == "span") {
      if (!h.nextArg()) {
        throw h.argErr();
      }
      span = h.val();
      if (h.nextArg()) {
        throw h.argErr();
      }
    } else if (h.val() == "span_attributes") {
      attrs = parseSpanAttributes(h);
    } else {
      throw h.argErr();
    }
  }
  Json fields = Json{{"span", span}};  // no omitempty on span
  if (attrs.is_object() && !attrs.empty()) {
    fields["span_attributes"] = attrs;
  }
  return config::Handler{"tracing", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
