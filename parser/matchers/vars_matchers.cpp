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
    std::string first;
    std::string second;
    std::string third;
    if (!takeArgs(d, {&first, &second})) {
      throw d.argErr();
    }
    std::string name;
    std::string field = first;
    std::string pattern = second;
    if (takeArgs(d, {&third})) {
      name = first;
      field = second;
      pattern = third;
    }
    if (name.empty()) {
      name = ctx.name;
    }
    // Unlike header_regexp, a repeated variable silently takes the later pattern.
    value[field] = regexpJson(name, pattern);
    if (d.nextBlock(0)) {
      throw d.err("malformed vars_regexp matcher: blocks are not supported");
    }
  }
  sortKeys(value);
}

}  // namespace gatehouse::parser::matchers
