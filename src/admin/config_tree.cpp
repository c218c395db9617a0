#include "admin/config_tree.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace gatehouse::admin {

namespace {

// Go decodes JSON into map[string]any (sorted on output) and float64 (integral values print
// without a fraction): rebuild the value that way before printing it.
Json goValue(const Json& v) {
  if (v.is_object()) {
    std::map<std::string, const Json*> sorted;
    for (const auto& [k, child] : v.items()) {
      sorted[k] = &child;  // a repeated key: the last one wins, as in Go
    }
    Json out = Json::object();
    for (const auto& [k, child] : sorted) {
      out[k] = goValue(*child);
    }
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& child : v) {
      out.push_back(goValue(child));
    }
    return out;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e18) {
      return static_cast<int64_t>(d);
    }
  }
  return v;
}

// Go's strconv.Quote, for the ASCII an index is usually made of.
std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// strconv.Atoi, with its error text.
std::optional<std::string> atoi(std::string_view s, long long& out) {
  std::string_view digits = s;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    digits.remove_prefix(1);
  }
  const bool valid = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!valid) {
    return "strconv.Atoi: parsing " + goQuote(s) + ": invalid syntax";
  }
  const char* begin = s.data() + (s.front() == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return "strconv.Atoi: parsing " + goQuote(s) + ": value out of range";
  }
  return std::nullopt;
}

std::vector<std::string> splitPath(const std::string& path) {
  size_t b = path.find_first_not_of('/');
  size_t e = path.find_last_not_of('/');
  std::vector<std::string> parts;
  if (b == std::string::npos) {
    return parts;
  }
  const std::string clean = path.substr(b, e - b + 1);
  size_t start = 0;
  while (true) {
    size_t slash = clean.find('/', start);
    parts.push_back(clean.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) {
      return parts;
    }
    start = slash + 1;
  }
}

std::string joinParts(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    out += (i == 0 ? "" : "/") + parts[i];
  }
  return out;
}

std::optional<std::string> appendTo(Json& arr, const Json& value, bool ellipses) {
  if (!ellipses) {
    arr.push_back(value);
    return std::nullopt;
  }
  if (!value.is_array()) {
    return "final element is not an array";
  }
  for (const auto& v : value) {
    arr.push_back(v);
  }
  return std::nullopt;
}

// The destination is element `idxText` of the array `arr` (Caddy's special case).
std::optional<std::string> accessArray(Json& arr, const std::string& method, const std::string& path,
                                       const std::string& idxText, const Json& value, bool ellipses,
                                       std::string* out) {
  long long idx = 0;
  if (method != "POST") {
    if (auto err = atoi(idxText, idx)) {
      return "[" + path + "] invalid array index '" + idxText + "': " + *err;
    }
    const auto size = static_cast<long long>(arr.size());
    if (idx < 0 || (method != "PUT" && idx >= size) || idx > size) {
      return "[" + path + "] array index out of bounds: " + idxText;
    }
  }
  const auto at = arr.begin() + static_cast<std::ptrdiff_t>(idx);
  if (method == "GET") {
    *out = goEncode(*at, true);
  } else if (method == "POST") {
    return appendTo(arr, value, ellipses);
  } else if (method == "PUT") {
    arr.insert(at, value);
  } else if (method == "PATCH") {
    *at = value;
  } else if (method == "DELETE") {
    arr.erase(at);
  } else {
    return "unrecognized method " + method;
  }
  return std::nullopt;
}

// The destination is key `part` of the object `obj`.
std::optional<std::string> accessKey(Json& obj, const std::string& method, const std::string& path,
                                     const std::string& part, const Json& value, bool ellipses,
                                     std::string* out) {
  auto it = obj.find(part);
  const bool exists = it != obj.end();
  if (method == "GET") {
    *out = exists ? goEncode(*it, true) : "null\n";
  } else if (method == "POST") {
    if (exists && it->is_array()) {
      return appendTo(*it, value, ellipses);
    }
    obj[part] = value;
  } else if (method == "PUT") {
    if (exists) {
      return "[" + path + "] key already exists: " + part;
    }
    obj[part] = value;
  } else if (method == "PATCH") {
    if (!exists) {
      return "[" + path + "] key does not exist: " + part;
    }
    *it = value;
  } else if (method == "DELETE") {
    if (exists) {
      obj.erase(it);
    }
  } else {
    return "unrecognized method " + method;
  }
  return std::nullopt;
}

}  // namespace

std::string goEncode(const Json& value, bool newline) {
  std::string s = config::dump(goValue(value), false);
  if (newline) {
    s += '\n';
  }
  return s;
}

std::string fnv1aHex(std::string_view data) {
  uint32_t h = 0x811c9dc5u;
  for (const unsigned char c : data) {
    h ^= c;
    h *= 0x01000193u;
  }
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", h);
  return buf;
}

std::optional<std::string> accessConfig(Json& root, const std::string& method, const std::string& path,
                                        const Json& value, std::string* out) {
  std::vector<std::string> parts = splitPath(path);
  if (parts.empty()) {
    return "no traversable path";
  }
  const bool ellipses = parts.back() == "...";
  if (ellipses) {
    parts.pop_back();
  }
  Json missing;  // Go's nil map entry: the step after it fails
  Json* ptr = &root;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (ptr->is_object()) {
      auto it = ptr->find(part);
      if (it != ptr->end() && it->is_array() && i + 2 == parts.size()) {
        return accessArray(*it, method, path, parts.back(), value, ellipses, out);
      }
      if (i + 1 == parts.size()) {
        return accessKey(*ptr, method, path, part, value, ellipses, out);
      }
      // A PUT creates the missing parents of what it puts.
      if ((it == ptr->end() || it->is_null()) && method == "PUT") {
        (*ptr)[part] = Json::object();
        it = ptr->find(part);
      }
      ptr = it == ptr->end() ? &missing : &*it;
    } else if (ptr->is_array()) {
      long long idx = 0;
      if (auto err = atoi(part, idx)) {
        return "[/" + joinParts(parts, i + 1) + "] invalid array index '" + part + "': " + *err;
      }
      if (idx < 0 || idx >= static_cast<long long>(ptr->size())) {
        return "[/" + joinParts(parts, i + 1) + "] array index out of bounds: " + part;
      }
      ptr = &(*ptr)[static_cast<size_t>(idx)];
    } else {
      return "invalid traversal path at: " + joinParts(parts, i + 1);
    }
  }
  return std::nullopt;
}

std::optional<std::string> indexIds(const Json& node, const std::string& at,
                                    std::map<std::string, std::string>& index) {
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) {
      if (k == "@id") {
        if (v.is_string()) {
          index[v.get<std::string>()] = at;
        } else if (v.is_number()) {
          index[goEncode(v)] = at;
        } else {
          return at + ": @id field must be a string or number";
        }
        continue;
      }
      if (auto err = indexIds(v, at + "/" + k, index)) {
        return err;
      }
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      if (auto err = indexIds(node[i], at + "/" + std::to_string(i), index)) {
        return err;
      }
    }
  }
  return std::nullopt;
}

Json withoutIds(const Json& node) {
  if (node.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : node.items()) {
      if (k == "@id" && (v.is_string() || v.is_number())) {
        continue;
      }
      out[k] = withoutIds(v);
    }
    return out;
  }
  if (node.is_array()) {
    Json out = Json::array();
    for (const auto& v : node) {
      out.push_back(withoutIds(v));
    }
    return out;
  }
  return node;
}

}  // namespace gatehouse::admin
