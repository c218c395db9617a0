// The request_body directive: limits and timeouts for request bodies.
#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "options/option_util.h"

namespace gatehouse::parser {
namespace {

// A Go time.ParseDuration value (no "d" unit, unlike Caddy's durations) in nanoseconds.
long long goDuration(Helper& h, const std::string& what, const std::string& text) {
  std::string error;
  auto ns = text.find('d') == std::string::npos ? options::parseDuration(text, &error) : std::nullopt;
  if (!ns) {
    if (error.empty()) {
      error = "time: unknown unit \"d\" in duration \"" + text + "\"";
    }
    throw h.err("parsing " + what + ": " + error);
  }
  return *ns;
}

std::string oneArg(Helper& h) {
  std::string value;
  if (!handler_util::allArgs(h, value)) {
    throw h.argErr();
  }
  return value;
}

// The block after one token of the segment.
void parseRequestBodyBlock(Helper& h, Json& fields) {
  while (h.nextBlock(0)) {
    const std::string sub = h.val();
    if (sub == "max_size") {
      std::string text = oneArg(h);
      std::string error;
      auto size = options::parseBytes(text, &error);
      if (!size) {
        throw h.err("parsing max_size: " + error);
      }
      if (*size != 0) {
        fields["max_size"] = *size;
      }
    } else if (sub == "read_timeout" || sub == "write_timeout") {
      if (long long ns = goDuration(h, sub, oneArg(h)); ns != 0) {
        fields[sub] = ns;
      }
    } else {
      throw h.err("unrecognized request_body subdirective '" + sub + "'");
    }
  }
}

}  // namespace

// request_body [<matcher>] {
//     max_size      <size>
//     read_timeout  <duration>
//     write_timeout <duration>
// }
//
// Caddy walks every token of the segment for a block ("request_body foo { ... }" ignores
// foo and still reads the block), so this loops over them too.
config::Handler parseRequestBody(Helper& h) {
  Json fields = Json::object();
  while (h.next()) {
    parseRequestBodyBlock(h, fields);
  }
  return config::Handler{"request_body", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
