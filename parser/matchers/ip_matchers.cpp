// remote_ip and client_ip: the connection's peer address, or the client address resolved
// through trusted proxies.
//
//     remote_ip <ranges...>|private_ranges
//     client_ip <ranges...>|private_ranges

#include <array>

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {
namespace {

// Caddy's internal.PrivateRangesCIDR(), in its order.
constexpr std::array<const char*, 6> kPrivateRanges{
    "192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1",
};

void parseRanges(Dispenser& d, const std::string& what, bool allowForwarded, Json& value) {
  if (!value.is_object()) {
    value = Json::object();  // "ranges" is omitted while empty
  }
  bool forwarded = false;
  while (d.next()) {
    while (d.nextArg()) {
      if (allowForwarded && d.val() == "forwarded") {
        if (value.contains("ranges")) {
          throw d.err("if used, 'forwarded' must be first argument");
        }
        forwarded = true;  // caddy 2.6.2 (deprecated; removed in 2.7)
        continue;
      }
      Json& ranges = value["ranges"];
      if (d.val() == "private_ranges") {
        appendStrings(ranges, std::vector<std::string>(kPrivateRanges.begin(), kPrivateRanges.end()));
      } else {
        appendStrings(ranges, {d.val()});
      }
    }
    if (d.nextBlock(0)) {
      throw d.err("malformed " + what + " matcher: blocks are not supported");
    }
  }
  if (forwarded) {
    value["forwarded"] = true;  // after "ranges", in Caddy's field order
  }
}

}  // namespace

void parseRemoteIpMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  parseRanges(d, "remote_ip", true, value);
}

void parseClientIpMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  parseRanges(d, "client_ip", false, value);
}

}  // namespace gatehouse::parser::matchers
