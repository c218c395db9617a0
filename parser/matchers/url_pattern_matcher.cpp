// url_pattern: a WHATWG URLPattern.
//
//     url_pattern <pattern> {
//         base_url    <url>
//         ignore_case
//     }

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parseUrlPatternMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  const bool had = value.is_object();
  std::string pattern = had ? value.value("pattern", std::string()) : std::string();
  std::string baseUrl = had ? value.value("base_url", std::string()) : std::string();
  bool ignoreCase = had && value.value("ignore_case", false);

  while (d.next()) {
    if (!takeArgs(d, {&pattern})) {
      throw d.err("expected exactly one URL pattern");
    }
    while (d.nextBlock(0)) {
      const std::string sub = d.val();
      if (sub == "base_url") {
        if (!takeArgs(d, {&baseUrl})) {
          throw d.argErr();
        }
      } else if (sub == "ignore_case") {
        if (d.nextArg()) {
          throw d.argErr();
        }
        ignoreCase = true;
      } else {
        throw d.err("unrecognized url_pattern option '" + sub + "'");
      }
    }
  }

  // MatchURLPattern's fields in Go's order, each omitted while empty.
  value = Json::object();
  if (!pattern.empty()) {
    value["pattern"] = pattern;
  }
  if (!baseUrl.empty()) {
    value["base_url"] = baseUrl;
  }
  if (ignoreCase) {
    value["ignore_case"] = true;
  }
}

}  // namespace gatehouse::parser::matchers
