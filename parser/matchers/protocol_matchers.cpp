// protocol and tls: how the request arrived.
//
//     protocol http|https|grpc|http/1.0|http/1.1|http/2|http/3[+]
//     tls [early_data]

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parseProtocolMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  while (d.next()) {
    std::string proto;
    if (!takeArgs(d, {&proto})) {
      throw d.err("expected exactly one protocol");
    }
    value = proto;  // a later line wins, as in Caddy
  }
}

void parseTlsMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  if (!value.is_object()) {
    value = Json::object();
  }
  while (d.next()) {
    if (d.nextArg() && d.val() == "early_data") {
      // early_data matches requests that arrived before the handshake completed (0-RTT).
      value["handshake_complete"] = false;
    }
    if (d.nextArg()) {
      throw d.argErr();
    }
    if (d.nextBlock(0)) {
      throw d.err("malformed tls matcher: blocks are not supported yet");
    }
  }
}

}  // namespace gatehouse::parser::matchers
