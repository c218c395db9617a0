// Value syntax shared by the reverse_proxy family: durations, integers, byte sizes, weak
// strings and header names, with the error wording of the Go functions Caddy uses.

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <map>

#include "directives/reverse_proxy.h"
#include "options/option_util.h"

namespace gatehouse::parser::proxy {

int64_t durationOrThrow(const Dispenser& d, const std::string& text, const std::string& prefix) {
  std::string error;
  auto ns = options::parseDuration(text, &error);
  if (!ns) {
    throw d.err(prefix + error);
  }
  return *ns;
}

std::optional<long long> atoi(const std::string& text, std::string* error) {
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  bool ok = i < text.size();
  for (size_t j = i; ok && j < text.size(); ++j) {
    ok = std::isdigit(static_cast<unsigned char>(text[j])) != 0;
  }
  if (!ok) {
    if (error != nullptr) {
      *error = "strconv.Atoi: parsing \"" + text + "\": invalid syntax";
    }
    return std::nullopt;
  }
  errno = 0;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE) {
    if (error != nullptr) {
      *error = "strconv.Atoi: parsing \"" + text + "\": value out of range";
    }
    return std::nullopt;
  }
  return v;
}

long long intOrThrow(const Dispenser& d, const std::string& text, const std::string& prefix) {
  std::string error;
  auto v = atoi(text, &error);
  if (!v) {
    throw d.err(prefix + error);
  }
  return *v;
}

std::optional<uint64_t> parseBytes(const std::string& text, std::string* error) {
  return options::parseBytes(text, error);
}

Json weakString(const std::string& text) {
  std::string ignored;
  if (auto n = atoi(text, &ignored)) {
    return *n;
  }
  return text;
}

std::string goList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i > 0 ? " " : "") + items[i];
  }
  return out + "]";
}

Json sortedKeys(const Json& j) {
  if (j.is_object()) {
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) {
      keys.push_back(it.key());
    }
    std::sort(keys.begin(), keys.end());
    Json out = Json::object();
    for (const auto& k : keys) {
      out[k] = sortedKeys(j.at(k));
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& e : j) {
      out.push_back(sortedKeys(e));
    }
    return out;
  }
  return j;
}

void setOrOmit(Json& obj, const std::string& key, Json value) {
  bool zero = value.is_null() || (value.is_number() && value == 0) ||
              (value.is_string() && value.get<std::string>().empty()) ||
              (value.is_boolean() && !value.get<bool>()) ||
              ((value.is_array() || value.is_object()) && value.empty());
  if (zero) {
    obj.erase(key);
  } else {
    obj[key] = std::move(value);
  }
}

Json& child(Json& obj, const std::string& key) {
  if (!obj.contains(key) || !obj[key].is_object()) {
    obj[key] = Json::object();
  }
  return obj[key];
}

void unknownModule(const Dispenser& d, const std::string& moduleId) {
  throw d.err("getting module named '" + moduleId + "': module not registered: " + moduleId);
}

}  // namespace gatehouse::parser::proxy
