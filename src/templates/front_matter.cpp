// Caddy's splitFrontMatter: YAML (---, templates/front_matter_yaml.cpp), TOML (+++) or JSON
// ({ }) front matter. The TOML reader covers scalars (strings, numbers, booleans), inline
// lists, dotted keys and [table] / [[array of tables]] headers.

#include <nlohmann/json.hpp>

#include "gatehouse/utf8.h"
#include "templates/caddy_context.h"
#include "templates/front_matter_yaml.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return "";
  }
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// A quoted YAML/TOML string: "..." with backslash escapes, '...' with '' for a quote.
std::string unquote(const std::string& v) {
  if (v.size() < 2 || !((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\''))) {
    return v;
  }
  const std::string inner = v.substr(1, v.size() - 2);
  std::string out;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (v.front() == '\'' && inner[i] == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') {
      out += '\'';
      ++i;
      continue;
    }
    if (v.front() != '"' || inner[i] != '\\' || i + 1 >= inner.size()) {
      out += inner[i];
      continue;
    }
    const char e = inner[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case '0':
        out += '\0';
        break;
      case 'u':
      case 'U': {
        const size_t n = e == 'u' ? 4 : 8;
        const std::string hex = inner.substr(i + 1, n);
        if (hex.size() == n && hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
          appendUtf8(out, static_cast<uint32_t>(std::stoul(hex, nullptr, 16)));
          i += n;
        } else {
          out += e;
        }
        break;
      }
      default:
        out += e;  // \" \\ \/ and the rest stand for themselves
    }
  }
  return out;
}

// A YAML/TOML scalar: int, float, bool or string.
Value scalar(const std::string& raw, bool toml) {
  const std::string v = trim(raw);
  if (v.empty()) {
    return {};
  }
  if (v.front() == '"' || v.front() == '\'') {
    return Value(unquote(v));
  }
  if (v == "true" || (!toml && (v == "True" || v == "TRUE"))) {
    return Value(true);
  }
  if (v == "false" || (!toml && (v == "False" || v == "FALSE"))) {
    return Value(false);
  }
  if (!toml && (v == "null" || v == "~")) {
    return {};
  }
  char* end = nullptr;
  const long long i = std::strtoll(v.c_str(), &end, 10);
  if (end != v.c_str() && *end == '\0') {
    return toml ? typed(Value(static_cast<int64_t>(i)), "int64") : Value(static_cast<int64_t>(i));
  }
  const double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() && *end == '\0') {
    return Value(d);
  }
  if (v.front() == '{') {
    throw TemplateError("front matter: nested maps are not supported yet");
  }
  return Value(v);
}

Value inlineList(const std::string& v, bool toml) {
  List l;
  const std::string inner = v.substr(1, v.size() - 2);
  if (trim(inner).empty()) {
    return makeList();
  }
  for (const auto& item : goSplit(inner, ",")) {
    l.push_back(scalar(item.asString(), toml));
  }
  return makeList(std::move(l));
}

// The map a TOML table header ([a.b] or [[a.b]]) names, created on the way.
Value tomlTable(const Value& root, const std::string& header) {
  const bool array = header.starts_with("[[");
  const std::string path = trim(header.substr(array ? 2 : 1, header.size() - (array ? 4 : 2)));
  Value cur = root;
  const List parts = goSplit(path, ".");
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string key = unquote(trim(parts[i].asString()));
    Value& slot = cur.asMap().entries[key];
    const bool last = i + 1 == parts.size();
    if (last && array) {
      if (!slot.isList()) {
        slot = makeList();
      }
      slot.asList().push_back(makeMap());
      return slot.asList().back();
    }
    if (slot.isList() && !slot.asList().empty() && slot.asList().back().isMap()) {
      cur = slot.asList().back();  // [a.b] after [[a]]: within a's last table
      continue;
    }
    if (!slot.isMap()) {
      slot = makeMap();
    }
    cur = slot;
  }
  return cur;
}

Value parseFlat(const std::string& text, bool toml) {
  Value meta = makeMap();
  Value table = meta;  // TOML: the table the keys go to
  std::string listKey;
  for (const auto& lineV : goSplit(text, "\n")) {
    const std::string line = lineV.asString();
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') {
      continue;
    }
    if (!toml && t.starts_with("- ") && !listKey.empty()) {
      auto& slot = meta.asMap().entries[listKey];
      if (!slot.isList()) {
        slot = makeList();
      }
      slot.asList().push_back(scalar(t.substr(2), false));
      continue;
    }
    if (!toml && (line[0] == ' ' || line[0] == '\t')) {
      throw TemplateError("front matter: nested structures are not supported yet");
    }
    if (toml && t.front() == '[' && t.back() == ']') {
      table = tomlTable(meta, t);
      continue;
    }
    const size_t sep = t.find(toml ? '=' : ':');
    if (sep == std::string::npos) {
      throw TemplateError(std::string(toml ? "toml" : "yaml") + ": cannot parse front matter line: " + t);
    }
    std::string key = unquote(trim(t.substr(0, sep)));
    const std::string val = trim(t.substr(sep + 1));
    Value owner = toml ? table : meta;
    if (toml && key.find('.') != std::string::npos) {  // a dotted key: nested tables
      const size_t dot = key.rfind('.');
      owner = tomlTable(table, "[" + key.substr(0, dot) + "]");
      key = trim(key.substr(dot + 1));
    }
    auto& m = owner.asMap().entries;
    listKey.clear();
    if (val.empty() && !toml) {
      listKey = key;
      m[key] = Value();
    } else if (val.front() == '[' && val.back() == ']') {
      m[key] = inlineList(val, toml);
    } else {
      m[key] = scalar(val, toml);
    }
  }
  return meta;
}

Value fromJsonValue(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      List l;
      for (const auto& e : j) {
        l.push_back(fromJsonValue(e));
      }
      return makeList(std::move(l));
    }
    case nlohmann::json::value_t::object: {
      Value m = makeMap();
      for (const auto& [k, e] : j.items()) {
        m.asMap().entries[k] = fromJsonValue(e);
      }
      return m;
    }
    default:
      return {};
  }
}

// Caddy's parsedMarkdownDoc{Meta, Body}: a struct (printed {map[...] body}, JSON with its
// tags meta/body, both omitempty; not comparable: it holds a map).
class FrontMatterDoc final : public Object {
 public:
  FrontMatterDoc(Value meta, std::string body) : meta_(std::move(meta)), body_(std::move(body)) {}
  [[nodiscard]] std::string typeName() const override { return "templates.parsedMarkdownDoc"; }
  [[nodiscard]] bool comparable() const override { return false; }
  [[nodiscard]] std::string print() const override { return "{" + printValue(meta_) + " " + body_ + "}"; }
  [[nodiscard]] JsonForm json() const override {
    JsonForm form;
    if (meta_.isMap() && !meta_.asMap().entries.empty()) {
      form.fields.emplace_back("meta", meta_);
    }
    if (!body_.empty()) {
      form.fields.emplace_back("body", Value(body_));
    }
    return form;
  }
  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (!args.empty()) {
      throw TemplateError(std::string(name) + " has arguments but cannot be invoked as function");
    }
    if (name == "Meta") {
      return meta_;
    }
    if (name == "Body") {
      return Value(body_);
    }
    return std::nullopt;
  }

 private:
  Value meta_;
  std::string body_;
};

}  // namespace

Value makeFrontMatterDoc(Value meta, std::string body) {
  return Value(std::shared_ptr<Object>(std::make_shared<FrontMatterDoc>(std::move(meta), std::move(body))));
}

std::pair<Value, std::string> splitFrontMatter(const std::string& input) {
  // The first non-empty line.
  size_t lineStart = 0;
  size_t lineEnd = 0;
  bool lineEmpty = true;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\n') {
      lineStart = lineEnd;
      if (lineStart > 0) {
        ++lineStart;
      }
      lineEnd = i;
      if (!lineEmpty) {
        break;
      }
      continue;
    }
    lineEmpty = lineEmpty && std::isspace(static_cast<unsigned char>(input[i]));
  }
  const std::string first = trim(input.substr(lineStart, lineEnd - lineStart));
  std::vector<std::string> fences;
  int kind = 0;
  if (first == "---") {
    fences = {"---", "..."};
    kind = 1;
  } else if (first == "+++") {
    fences = {"+++"};
    kind = 2;
  } else if (first == "{") {
    fences = {"}"};
    kind = 3;
  }
  if (kind == 0) {
    return {makeMap(), input};  // Go prints the nil map as map[]
  }
  size_t fenceAt = std::string::npos;
  std::string fence;
  for (const auto& f : fences) {
    const size_t at = input.find("\n" + f, lineEnd);
    if (at != std::string::npos) {
      fenceAt = at + 1;
      fence = f;
      break;
    }
  }
  if (fenceAt == std::string::npos) {
    throw TemplateError("unterminated front matter");
  }
  const std::string front = input.substr(lineEnd, fenceAt - lineEnd);
  const std::string body = input.substr(fenceAt + fence.size());
  if (kind == 3) {
    auto j = nlohmann::json::parse("{" + front + "}", nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      throw TemplateError("front matter: invalid JSON");
    }
    return {fromJsonValue(j), body};
  }
  if (kind == 1) {
    return {parseYamlFrontMatter(front, scalar), body};
  }
  return {parseFlat(front, true), body};
}

}  // namespace gatehouse::templates
