// Log encoders: format json|console|filter|append|journald ... with their options.
#include "directives/log_modules.h"
#include "options/option_util.h"

namespace gatehouse::parser::directives {
namespace {

std::string oneValue(Dispenser& d) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  return d.val();
}

// Options of the json and console encoders (Caddy's LogEncoderConfig).
void parseEncoderConfig(Dispenser& d, Json& enc) {
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string sub = d.val();
    if (sub == "time_local") {
      enc["time_local"] = true;
      continue;
    }
    static const char* const kStrings[] = {"message_key",     "level_key",      "time_key",    "name_key",
                                           "caller_key",      "stacktrace_key", "line_ending", "time_format",
                                           "duration_format", "level_format"};
    bool known = false;
    for (const char* k : kStrings) {
      known = known || sub == k;
    }
    if (!known) {
      throw d.err("unrecognized subdirective " + sub);
    }
    enc[sub] = oneValue(d);
    if (d.nextArg()) {
      throw d.argErr();
    }
  }
}

Json nestedEncoder(Dispenser& d) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  return parseLogEncoder(d);
}

// The rest of a filter's line and its block, unread: Caddy hands each filter its own copy
// of the segment, and delete, hash, rename and replace read no more than their value.
void skipSegmentRest(Dispenser& d) {
  d.remainingArgs();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
  }
}

// One field filter: <field> <filter> [args] [{ ... }].
Json parseFieldFilter(Dispenser& d) {
  if (!d.nextArg()) {
    throw d.argErr();
  }
  const std::string name = d.val();
  Json f = Json::object();
  f["filter"] = name;
  if (name == "delete" || name == "hash") {
    skipSegmentRest(d);
    return f;
  }
  if (name == "replace" || name == "rename") {
    if (d.nextArg()) {
      f[name == "replace" ? "value" : "name"] = d.val();
    }
    skipSegmentRest(d);
    return f;
  }
  if (name == "regexp") {
    // Caddy 2.6.2 reads the line as `for d.Next() { regexp if NextArg; value if NextArg }`:
    // missing arguments are left out, and tokens after the value start another round (one
    // token skipped, then regexp and value again: `A B C D` gives regexp D, value B).
    const std::vector<std::string> args = d.remainingArgs();
    for (size_t i = 0; i < args.size();) {
      if (i > 0) {
        ++i;  // the round's own d.Next()
      }
      if (i < args.size()) {
        f["regexp"] = args[i++];
      }
      if (i < args.size()) {
        f["value"] = args[i++];
      }
    }
    return f;
  }
  if (name == "ip_mask") {
    auto args = d.remainingArgs();
    auto cidr = [&d](const std::string& v) {
      auto n = options::parseInt(v);
      if (!n) {
        throw d.err("error parsing " + v + ": strconv.Atoi: parsing \"" + v + "\": invalid syntax");
      }
      return *n;
    };
    if (!args.empty()) {
      f["ipv4_cidr"] = cidr(args[0]);
    }
    if (args.size() > 1) {
      f["ipv6_cidr"] = cidr(args[1]);
    }
    for (int nesting = d.nesting(); d.nextBlock(nesting);) {
      const std::string sub = d.val();
      if (sub != "ipv4" && sub != "ipv6") {
        throw d.err("unrecognized subdirective " + sub);
      }
      f[sub + "_cidr"] = cidr(oneValue(d));
    }
    return f;
  }
  if (name == "query" || name == "cookie") {
    const char* key = name == "query" ? "parameter" : "name";
    Json actions = Json::array();
    for (int nesting = d.nesting(); d.nextBlock(nesting);) {
      const std::string type = d.val();
      Json a = Json::object();
      a[key] = oneValue(d);
      a["type"] = type;
      if (type == "replace") {
        a["value"] = oneValue(d);
      } else if (type != "delete" && type != "hash") {
        throw d.err("unrecognized subdirective " + type);
      }
      actions.push_back(a);
    }
    f["actions"] = actions;
    return f;
  }
  throw d.err("getting module named 'caddy.logging.encoders.filter." + name +
              "': module not registered: caddy.logging.encoders.filter." + name);
}

// A second regexp on the same field turns the field into a multi_regexp filter.
void addField(Json& fields, const std::string& field, Json filter) {
  if (fields.contains(field) && filter.value("filter", "") == "regexp") {
    Json& existing = fields[field];
    auto op = [](const Json& r) { return Json{{"regexp", r.at("regexp")}, {"value", r.at("value")}}; };
    if (existing.value("filter", "") == "regexp") {
      existing = Json{{"filter", "multi_regexp"}, {"operations", Json::array({op(existing)})}};
    }
    if (existing.value("filter", "") == "multi_regexp") {
      existing["operations"].push_back(op(filter));
      return;
    }
  }
  fields[field] = std::move(filter);
}

Json parseFilterEncoder(Dispenser& d, Json enc) {
  if (enc.is_null()) {
    enc = Json{{"format", "filter"}};
  }
  Json fields = enc.contains("fields") ? enc["fields"] : Json::object();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string sub = d.val();
    if (sub == "wrap") {
      enc["wrap"] = nestedEncoder(d);
    } else if (sub == "fields") {
      for (int inner = d.nesting(); d.nextBlock(inner);) {
        const std::string field = d.val();
        addField(fields, field, parseFieldFilter(d));
      }
    } else {
      // Newer Caddy also takes fields named directly in the block; 2.6.2 knows only `fields`.
      throw d.err("unrecognized subdirective " + sub);
    }
  }
  if (!fields.empty()) {
    enc["fields"] = fields;
  }
  return enc;
}

Json typedValue(const Token& t) {
  if (t.quoted()) {
    return t.text;
  }
  if (t.text == "true" || t.text == "false") {
    return t.text == "true";
  }
  if (auto n = options::parseInt(t.text)) {
    return *n;
  }
  if (auto f = options::parseFloat(t.text)) {
    return *f;
  }
  return t.text;
}

Json parseAppendEncoder(Dispenser& d) {
  Json enc = Json::object();
  enc["format"] = "append";
  Json fields = Json::object();
  auto field = [&](const std::string& key) {
    if (!d.nextArg()) {
      throw d.argErr();
    }
    fields[key] = typedValue(d.token());
  };
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string sub = d.val();
    if (sub == "wrap") {
      enc["wrap"] = nestedEncoder(d);
    } else if (sub == "fields") {
      for (int inner = d.nesting(); d.nextBlock(inner);) {
        field(d.val());
      }
    } else {
      field(sub);
    }
  }
  if (!fields.empty()) {
    enc["fields"] = fields;
  }
  return enc;
}

Json parseJournaldEncoder(Dispenser& d) {
  Json enc = Json::object();
  enc["format"] = "journald";
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    if (d.val() != "wrap") {
      throw d.err("unrecognized subdirective " + d.val());
    }
    enc["wrap"] = nestedEncoder(d);
  }
  return enc;
}

}  // namespace

Json parseLogEncoder(Dispenser& parent) {
  // Caddy hands the encoder module its own segment (the module name, the rest of its line
  // and the block after it), so tokens the module passes over never reach the caller's loop.
  Dispenser d = parent.newFromNextSegment();
  d.next();
  const std::string name = d.val();
  if (name == "json" || name == "console") {
    Json enc = Json{{"format", name}};
    do {  // 2.6.2's loop over the segment: an argument after the name is refused
      if (d.nextArg()) {
        throw d.argErr();
      }
      parseEncoderConfig(d, enc);
    } while (d.next());
    return enc;
  }
  if (name == "filter") {
    // 2.6.2's loop: words after the name (`format filter on {`) are passed over one by one
    // and the block after them is read
    Json enc;
    do {
      enc = parseFilterEncoder(d, enc);
    } while (d.next());
    return enc;
  }
  if (name == "append") {
    return parseAppendEncoder(d);
  }
  if (name == "journald") {
    return parseJournaldEncoder(d);
  }
  throw d.err("getting module named 'caddy.logging.encoders." + name +
              "': module not registered: caddy.logging.encoders." + name);
}

}  // namespace gatehouse::parser::directives
