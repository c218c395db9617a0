// Response matchers (Caddy's ResponseMatcher; the "@name" bookkeeping of
// ParseNamedResponseMatcher lives with reverse_proxy's directives), used by
// reverse_proxy/intercept `handle_response` and `replace_status`, and encode's `match`:
//
//     @name status <codes...>           (2xx means every 2xx code: stored as 2)
//     @name header <field> [<value>]
//     @name {
//         status <codes...>
//         header <field> [<value>]
//     }

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "gatehouse/parser/matchers.h"
#include "matchers/matcher_modules.h"

namespace gatehouse::parser {
namespace {

// Go's strconv.Atoi, with its error text for Caddy's "bad status value" message.
bool goAtoi(const std::string& s, long long& out, std::string& error) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  bool digits = i < s.size();
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] < '0' || s[j] > '9') {
      digits = false;
    }
  }
  if (!digits) {
    error = "strconv.Atoi: parsing \"" + s + "\": invalid syntax";
    return false;
  }
  errno = 0;
  out = std::strtoll(s.c_str(), nullptr, 10);
  if (errno == ERANGE) {
    error = "strconv.Atoi: parsing \"" + s + "\": value out of range";
    return false;
  }
  return true;
}

}  // namespace

config::Json parseResponseMatcher(Dispenser& d) {
  if (d.cursor() < 0) {
    d.next();  // onto the token that names the matcher
  }
  config::Json statusCodes = config::Json::array();
  config::Json headers = config::Json::object();
  for (int nesting = d.nesting(); d.nextArg() || d.nextBlock(nesting);) {
    const std::string kind = d.val();
    if (kind == "header") {
      // The request header matcher's syntax and merging, over this line only.
      Dispenser line = d.newFromNextSegment();
      matchers::parseHeaderMatcher(line, matchers::MatcherContext{}, headers);
    } else if (kind == "status") {
      std::vector<std::string> args = d.remainingArgs();
      if (args.empty()) {
        throw d.argErr();
      }
      for (std::string arg : args) {
        if (arg.size() == 3 && arg.compare(1, 2, "xx") == 0) {
          arg = arg.substr(0, 1);  // a class of codes is stored as its first digit
        }
        long long code = 0;
        std::string error;
        if (!goAtoi(arg, code, error)) {
          throw d.err("bad status value '" + arg + "': " + error);
        }
        statusCodes.push_back(code);
      }
    } else {
      throw d.err("unrecognized response matcher " + kind);
    }
  }

  // ResponseMatcher's fields in Go's order, each omitted while empty.
  config::Json out = config::Json::object();
  if (!statusCodes.empty()) {
    out["status_code"] = std::move(statusCodes);
  }
  if (!headers.empty()) {
    out["headers"] = std::move(headers);
  }
  return out;
}

}  // namespace gatehouse::parser
