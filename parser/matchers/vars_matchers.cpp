// vars and vars_regexp: variables set by `vars`/`map`, or placeholders.
//
//     vars        <variable> <values...>       (values are OR'ed)
//     vars_regexp [<name>] <variable> <regexp>

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parseVarsMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  if (!value.is_object()) {
    value = Json::object();
  }
  while (d.next()) {
    std::string field;
    if (!takeArgs(d, {&field})) {
      throw d.err("malformed vars matcher: expected field name");
    }
    std::vector<std::string> vals = d.remainingArgs();
    if (vals.empty()) {
      throw d.err("malformed vars matcher: expected at least one value to match against");
    }
    appendStrings(value[field], vals);
    if (d.nextBlock(0)) {
      throw d.err("malformed vars matcher: blocks are not supported");
    }
  }
  sortKeys(value);
}

void parseVarsRegexpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value) {
  if (!value.is_object()) {
    value = Json::object();
  }
  while (d.next()) {
    const auto [name, field, pattern] = readRegexpArgs(d, ctx);
    // Unlike header_regexp, a repeated variable silently takes the later pattern.
    value[field] = regexpJson(name, pattern);
    if (d.nextBlock(0)) {
      throw d.err("malformed vars_regexp matcher: blocks are not supported");
    }
  }
  sortKeys(value);
}

}  // namespace gatehouse::parser::matchers
