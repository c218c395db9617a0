// Caddy's splitFrontMatter: YAML (---, templates/front_matter_yaml.cpp), TOML (+++) or JSON
// ({ }) front matter. The TOML reader covers flat documents: scalars (strings, numbers,
// booleans) and inline lists; a table is refused as not supported yet.

#include <nlohmann/json.hpp>

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

std::string unquote(const std::string& v) {
  if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\''))) {
    return v.substr(1, v.size() - 2);
  }
  return v;
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
    return Value(static_cast<int64_t>(i));
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

Value parseFlat(const std::string& text, bool toml) {
  Value meta = makeMap();
  auto& m = meta.asMap().entries;
  std::string listKey;
  for (const auto& lineV : goSplit(text, "\n")) {
    const std::string line = lineV.asString();
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') {
      continue;
    }
    if (!toml && t.starts_with("- ") && !listKey.empty()) {
      auto& slot = m[listKey];
      if (!slot.isList()) {
        slot = makeList();
      }
      slot.asList().push_back(scalar(t.substr(2), false));
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      throw TemplateError("front matter: nested structures are not supported yet");
    }
    if (toml && t.front() == '[') {
      throw TemplateError("front matter: TOML tables are not supported yet");
    }
    const size_t sep = t.find(toml ? '=' : ':');
    if (sep == std::string::npos) {
      throw TemplateError(std::string(toml ? "toml" : "yaml") + ": cannot parse front matter line: " + t);
    }
    const std::string key = unquote(trim(t.substr(0, sep)));
    const std::string val = trim(t.substr(sep + 1));
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

}  // namespace

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
