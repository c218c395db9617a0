// header and header_regexp: request header fields.
//
//     header        <field> <value>      (several lines for one field add values: OR)
//     header        !<field>             (the field must be absent: null)
//     header_regexp [<name>] <field> <regexp>

#include "matchers/matcher_modules.h"

namespace gatehouse::parser::matchers {

void parseHeaderMatcher(Dispenser& d, const MatcherContext&, Json& value) {
  if (!value.is_object()) {
    value = Json::object();
  }
  while (d.next()) {
    std::string field;
    if (!takeArgs(d, {&field})) {
      throw d.err("malformed header matcher: expected field");
    }
    if (field[0] == '!') {
      if (field.size() == 1) {
        throw d.err("malformed header matcher: must have field name following ! character");
      }
      // Caddy stores the negated field as written, without canonicalizing it.
      value[field.substr(1)] = nullptr;
      if (d.nextArg()) {
        throw d.err("malformed header matcher: null matching headers cannot have a field value");
      }
    } else {
      if (!d.nextArg()) {
        throw d.err("malformed header matcher: expected both field and value");
      }
      // http.Header.Add: canonical key, values appended (OR'ed when matching).
      Json& values = value[canonicalHeaderKey(field)];
      appendStrings(values, {d.val()});
    }
    if (d.nextBlock(0)) {
      throw d.err("malformed header matcher: blocks are not supported");
    }
  }
  sortKeys(value);
}

void parseHeaderRegexpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value) {
  if (!value.is_object()) {
    value = Json::object();
  }
  while (d.next()) {
    const auto [name, field, pattern] = readRegexpArgs(d, ctx);
    // One pattern per field: a second would replace the first.
    if (value.contains(field) && !value[field].is_null()) {
      throw d.err("header_regexp matcher can only be used once per named matcher, per header field: " +
                  field);
    }
    value[field] = regexpJson(name, pattern);
    if (d.nextBlock(0)) {
      throw d.err("malformed header_regexp matcher: blocks are not supported");
    }
  }
  sortKeys(value);
}

}  // namespace gatehouse::parser::matchers
