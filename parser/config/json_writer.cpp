#include "config/json_writer.h"

#include <algorithm>

namespace gatehouse::config {
namespace {

// Keys the serializer would print unchanged (no escapes, no UTF-8 to check).
using Member = std::pair<const std::string, Json>;

// An object's members in key order (Go sorts map keys bytewise, as std::string's < does).
std::vector<const Member*> sortedMembers(const Json& obj) {
  std::vector<const Member*> members;
  members.reserve(obj.size());
  for (const auto& member : obj.get_ref<const Json::object_t&>()) {
    members.push_back(&member);
  }
  std::sort(members.begin(), members.end(),
            [](const Member* a, const Member* b) { return a->first < b->first; });
  return members;
}

bool hasObject(const Json& v) {
  if (v.is_object()) {
    return true;
  }
  if (v.is_array()) {
    return std::any_of(v.begin(), v.end(), [](const Json& e) { return hasObject(e); });
  }
  return false;
}

bool plainKey(std::string_view name) {
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

}  // namespace

JsonWriter::JsonWriter(std::string& out, bool pretty)
    : out_(out),
      pretty_(pretty),
      serializer_(nlohmann::detail::output_adapter<char, std::string>(out), pretty ? '\t' : ' ',
                  Json::error_handler_t::replace) {}

void JsonWriter::indent(std::size_t depth) {
  out_.append(depth, '\t');
}

void JsonWriter::beforeElement() {
  if (levels_.empty()) {
    return;
  }
  Level& level = levels_.back();
  if (!level.empty) {
    out_ += ',';
  }
  if (pretty_) {
    out_ += '\n';
    indent(levels_.size());
  }
  level.empty = false;
}

void JsonWriter::beforeValue() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  beforeElement();
}

void JsonWriter::open(char bracket) {
  beforeValue();
  out_ += bracket;
  levels_.push_back(Level{});
}

void JsonWriter::close(char bracket) {
  const bool empty = levels_.back().empty;
  levels_.pop_back();
  if (pretty_ && !empty) {
    out_ += '\n';
    indent(levels_.size());
  }
  out_ += bracket;
}

void JsonWriter::beginObject() {
  open('{');
}
void JsonWriter::endObject() {
  close('}');
}
void JsonWriter::beginArray() {
  open('[');
}
void JsonWriter::endArray() {
  close(']');
}

void JsonWriter::key(std::string_view name) {
  beforeElement();
  if (plainKey(name)) {
    out_ += '"';
    out_.append(name);
    out_ += '"';
  } else {
    serializer_.dump(Json(std::string(name)), false, false, 0);
  }
  out_ += pretty_ ? ": " : ":";
  afterKey_ = true;
}

void JsonWriter::value(const Json& v) {
  beforeValue();
  const auto depth = static_cast<unsigned>(levels_.size());
  serializer_.dump(v, pretty_, false, pretty_ ? 1 : 0, pretty_ ? depth : 0);
}

void JsonWriter::value(std::string_view s) {
  beforeValue();
  if (plainKey(s)) {
    out_ += '"';
    out_.append(s);
    out_ += '"';
  } else {
    serializer_.dump(Json(std::string(s)), false, false, 0);
  }
}

void JsonWriter::value(bool b) {
  beforeValue();
  out_ += b ? "true" : "false";
}

void JsonWriter::sortedValue(const Json& v) {
  if (!hasObject(v)) {
    value(v);  // nothing to reorder: the serializer prints it in one go
    return;
  }
  if (v.is_array()) {
    beginArray();
    for (const auto& e : v) {
      sortedValue(e);
    }
    endArray();
    return;
  }
  beginObject();
  for (const Member* m : sortedMembers(v)) {
    key(m->first);
    sortedValue(m->second);
  }
  endObject();
}

Json sortedDeep(const Json& v) {
  if (!hasObject(v)) {
    return v;
  }
  if (v.is_array()) {
    Json out = Json::array();
    out.get_ref<Json::array_t&>().reserve(v.size());
    for (const auto& e : v) {
      out.push_back(sortedDeep(e));
    }
    return out;
  }
  Json out = Json::object();
  out.get_ref<Json::object_t&>().reserve(v.size());
  for (const Member* m : sortedMembers(v)) {
    out.get_ref<Json::object_t&>().emplace_back(m->first, sortedDeep(m->second));
  }
  return out;
}

std::string escapeForHtml(std::string s) {
  // Go's encoder escapes these for HTML safety; Caddy's output carries the escapes. They can
  // only occur inside JSON strings, so a plain replacement is exact.
  size_t pos = s.find_first_of("<>&");
  if (pos == std::string::npos) {
    return s;
  }
  std::string out;
  out.reserve(s.size() + 64);
  size_t from = 0;
  for (; pos != std::string::npos; pos = s.find_first_of("<>&", from)) {
    out.append(s, from, pos - from);
    out += s[pos] == '<' ? "\\u003c" : s[pos] == '>' ? "\\u003e" : "\\u0026";
    from = pos + 1;
  }
  out.append(s, from, std::string::npos);
  return out;
}

}  // namespace gatehouse::config
