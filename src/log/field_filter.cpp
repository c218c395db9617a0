#include "log/field_filter.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "handlers/go_expand.h"
#include "http/uri.h"
#include "provision/provision_error.h"

namespace gatehouse::log {

using config::Json;
using provision::ProvisionError;

namespace {

// Applies `fn` to a string field, or to each string of an array field (header values).
template <typename Fn>
void eachString(Json& v, Fn fn) {
  if (v.is_string()) {
    v = fn(v.get<std::string>());
  } else if (v.is_array()) {
    for (auto& e : v) {
      if (e.is_string()) {
        e = fn(e.get<std::string>());
      }
    }
  }
}

class DeleteFilter final : public FieldFilter {
 public:
  void apply(Json& parent, const std::string& key) const override { parent.erase(key); }
};

class ReplaceFilter final : public FieldFilter {
 public:
  explicit ReplaceFilter(std::string value) : value_(std::move(value)) {}
  void apply(Json& parent, const std::string& key) const override { parent[key] = value_; }

 private:
  std::string value_;
};

class RenameFilter final : public FieldFilter {
 public:
  explicit RenameFilter(std::string name) : name_(std::move(name)) {}
  void apply(Json& parent, const std::string& key) const override {
    if (!parent.contains(key)) {
      return;
    }
    // zap's filter encoder writes the field where it stood, under its new name.
    Json renamed = Json::object();
    for (auto& [k, v] : parent.items()) {
      if (k == key) {
        renamed[name_] = std::move(v);
      } else if (k != name_) {
        renamed[k] = std::move(v);
      }
    }
    parent = std::move(renamed);
  }

 private:
  std::string name_;
};

class HashFilter final : public FieldFilter {
 public:
  void apply(Json& parent, const std::string& key) const override {
    eachString(parent[key], [](const std::string& s) { return shortHash(s); });
  }
};

struct RegexpOp {
  std::unique_ptr<re2::RE2> re;
  std::string value;
};

RegexpOp makeRegexpOp(const Json& cfg, const std::string& path) {
  RegexpOp op{std::make_unique<re2::RE2>(cfg.value("regexp", ""), re2::RE2::Quiet), cfg.value("value", "")};
  if (!op.re->ok()) {
    throw ProvisionError(path + ".regexp", "compiling regexp: " + op.re->error());
  }
  return op;
}

class RegexpFilter final : public FieldFilter {
 public:
  explicit RegexpFilter(std::vector<RegexpOp> ops) : ops_(std::move(ops)) {}
  void apply(Json& parent, const std::string& key) const override {
    eachString(parent[key], [&](std::string s) {
      for (const auto& op : ops_) {
        s = handlers::goReplaceAll(*op.re, s, op.value);
      }
      return s;
    });
  }

 private:
  std::vector<RegexpOp> ops_;
};

// Masks every address of a comma-separated list, keeping ports, as Caddy's ip_mask.
class IpMaskFilter final : public FieldFilter {
 public:
  IpMaskFilter(int v4, int v6) : v4_(v4), v6_(v6) {}
  void apply(Json& parent, const std::string& key) const override {
    eachString(parent[key], [&](const std::string& s) { return maskList(s); });
  }

 private:
  std::string maskList(std::string_view s) const {
    std::string out;
    while (true) {
      size_t comma = s.find(',');
      std::string_view item = s.substr(0, comma);
      while (!item.empty() && item.front() == ' ') {
        item.remove_prefix(1);
      }
      while (!item.empty() && item.back() == ' ') {
        item.remove_suffix(1);
      }
      if (!out.empty()) {
        out += ", ";
      }
      out += maskOne(std::string(item));
      if (comma == std::string_view::npos) {
        break;
      }
      s.remove_prefix(comma + 1);
    }
    return out;
  }

  std::string maskOne(const std::string& value) const {
    std::string host = value;
    std::string port;
    if (!value.empty() && value.front() == '[') {
      size_t close = value.find("]:");
      if (close != std::string::npos) {
        host = value.substr(1, close - 1);
        port = value.substr(close + 2);
      }
    } else if (std::count(value.begin(), value.end(), ':') == 1) {
      host = value.substr(0, value.find(':'));
      port = value.substr(value.find(':') + 1);
    }
    std::array<unsigned char, 16> addr{};
    std::string masked;
    if (inet_pton(AF_INET, host.c_str(), addr.data()) == 1) {
      masked = maskBytes(AF_INET, addr, 4, v4_);
    } else if (inet_pton(AF_INET6, host.c_str(), addr.data()) == 1) {
      masked = maskBytes(AF_INET6, addr, 16, v6_);
    } else {
      return value;
    }
    if (port.empty()) {
      return masked;
    }
    return masked.find(':') != std::string::npos ? "[" + masked + "]:" + port : masked + ":" + port;
  }

  static std::string maskBytes(int family, std::array<unsigned char, 16> addr, int len, int bits) {
    if (bits <= 0) {
      return "<nil>";  // Caddy masks with a nil mask, and Go prints that IP as <nil>
    }
    for (int i = 0; i < len; ++i) {
      int keep = std::clamp(bits - i * 8, 0, 8);
      addr[static_cast<size_t>(i)] &= static_cast<unsigned char>(0xff00 >> keep);
    }
    std::array<char, INET6_ADDRSTRLEN> buf{};
    inet_ntop(family, addr.data(), buf.data(), buf.size());
    return buf.data();
  }

  int v4_;
  int v6_;
};

struct Action {
  std::string type;  // replace, hash, delete
  std::string name;
  std::string value;
};

std::vector<Action> parseActions(const Json& cfg, const std::string& path, const char* nameKey) {
  std::vector<Action> out;
  if (!cfg.contains("actions")) {
    return out;
  }
  const auto& list = cfg["actions"];
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string ap = path + ".actions[" + std::to_string(i) + "]";
    Action a{list[i].value("type", ""), list[i].value(nameKey, ""), list[i].value("value", "")};
    if (a.type != "replace" && a.type != "hash" && a.type != "delete") {
      throw ProvisionError(ap + ".type", "unrecognized action type '" + a.type + "'");
    }
    out.push_back(std::move(a));
  }
  return out;
}

// Caddy's query filter: parses the URI's query, applies the actions, and re-encodes it as
// Go's url.Values.Encode (keys sorted).
class QueryFilter final : public FieldFilter {
 public:
  explicit QueryFilter(std::vector<Action> actions) : actions_(std::move(actions)) {}
  void apply(Json& parent, const std::string& key) const override {
    eachString(parent[key], [&](const std::string& uri) { return filter(uri); });
  }

 private:
  // Go's unescape succeeds: every '%' starts two hex digits.
  static bool validEscapes(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
                          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))) {
        return false;
      }
    }
    return true;
  }

  std::string filter(const std::string& uri) const {
    size_t q = uri.find('?');
    // Go's url.Parse fails on a malformed escape in the path: Caddy logs the field as it is.
    if (q == std::string::npos || !validEscapes(std::string_view(uri).substr(0, q))) {
      return uri;
    }
    http::QueryPairs pairs;
    http::parseGoQuery(std::string_view(uri).substr(q + 1), pairs);  // Go's URL.Query()
    std::map<std::string, std::vector<std::string>> values;
    for (auto& [key, value] : pairs) {
      values[std::move(key)].push_back(std::move(value));
    }
    for (const auto& a : actions_) {
      auto it = values.find(a.name);
      if (it == values.end()) {
        continue;
      }
      if (a.type == "delete") {
        values.erase(it);
        continue;
      }
      for (auto& v : it->second) {
        // Every Caddy version hashes the action's own value (empty unless the JSON gives
        // one), not the parameter's: a hashed parameter always logs as hash("").
        v = a.type == "replace" ? a.value : shortHash(a.value);
      }
    }
    std::string out = uri.substr(0, q);
    std::string query;
    for (const auto& [k, vs] : values) {
      for (const auto& v : vs) {
        query += query.empty() ? "" : "&";
        query += http::queryEscape(k) + "=" + http::queryEscape(v);
      }
    }
    // Go's URL keeps a bare '?' (ForceQuery) when the query was empty to begin with.
    if (!query.empty() || q + 1 == uri.size()) {
      out += "?" + query;
    }
    return out;
  }

  std::vector<Action> actions_;
};

// Caddy's cookie filter: parses Cookie header values, applies the actions, and joins the
// cookies that remain into one value, as Go's Request.AddCookie does.
class CookieFilter final : public FieldFilter {
 public:
  explicit CookieFilter(std::vector<Action> actions) : actions_(std::move(actions)) {}
  void apply(Json& parent, const std::string& key) const override {
    Json& v = parent[key];
    if (!v.is_array()) {
      return;
    }
    std::string joined;
    for (const auto& line : v) {
      std::string_view rest = line.is_string() ? std::string_view(line.get_ref<const std::string&>()) : "";
      while (!rest.empty()) {
        size_t semi = rest.find(';');
        std::string_view part = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        while (!part.empty() && part.front() == ' ') {
          part.remove_prefix(1);
        }
        size_t eq = part.find('=');
        if (part.empty() || eq == std::string_view::npos || eq == 0) {
          continue;
        }
        std::string name(part.substr(0, eq));
        std::string value(part.substr(eq + 1));
        if (!transform(name, value)) {
          continue;
        }
        joined += joined.empty() ? "" : "; ";
        joined += name + "=" + value;
      }
    }
    v = joined.empty() ? Json::array() : Json::array({joined});
  }

 private:
  // False when the cookie is deleted.
  bool transform(const std::string& name, std::string& value) const {
    for (const auto& a : actions_) {
      if (a.name != name) {
        continue;
      }
      if (a.type == "delete") {
        return false;
      }
      value = a.type == "replace" ? a.value : shortHash(value);
      return true;
    }
    return true;
  }

  std::vector<Action> actions_;
};

void requireKeys(const Json& cfg, const std::string& path, std::initializer_list<std::string_view> known) {
  for (const auto& [k, _] : cfg.items()) {
    if (k != "filter" && std::find(known.begin(), known.end(), k) == known.end()) {
      throw ProvisionError(path + "." + k, "field '" + k + "' is not supported yet");
    }
  }
}

}  // namespace

std::string shortHash(std::string_view s) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 4; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::unique_ptr<FieldFilter> makeFieldFilter(const Json& cfg, const std::string& path) {
  if (!cfg.is_object()) {
    throw ProvisionError(path, "expected a filter object");
  }
  const std::string name = cfg.value("filter", "");
  if (name == "delete") {
    requireKeys(cfg, path, {});
    return std::make_unique<DeleteFilter>();
  }
  if (name == "hash") {
    requireKeys(cfg, path, {});
    return std::make_unique<HashFilter>();
  }
  if (name == "replace") {
    requireKeys(cfg, path, {"value"});
    return std::make_unique<ReplaceFilter>(cfg.value("value", ""));
  }
  if (name == "rename") {
    requireKeys(cfg, path, {"name"});
    return std::make_unique<RenameFilter>(cfg.value("name", ""));
  }
  if (name == "ip_mask") {
    requireKeys(cfg, path, {"ipv4_cidr", "ipv6_cidr"});
    return std::make_unique<IpMaskFilter>(cfg.value("ipv4_cidr", 0), cfg.value("ipv6_cidr", 0));
  }
  if (name == "regexp") {
    requireKeys(cfg, path, {"regexp", "value"});
    std::vector<RegexpOp> ops;
    ops.push_back(makeRegexpOp(cfg, path));
    return std::make_unique<RegexpFilter>(std::move(ops));
  }
  if (name == "multi_regexp") {
    requireKeys(cfg, path, {"operations"});
    std::vector<RegexpOp> ops;
    if (cfg.contains("operations")) {
      for (size_t i = 0; i < cfg["operations"].size(); ++i) {
        ops.push_back(makeRegexpOp(cfg["operations"][i], path + ".operations[" + std::to_string(i) + "]"));
      }
    }
    return std::make_unique<RegexpFilter>(std::move(ops));
  }
  if (name == "query") {
    requireKeys(cfg, path, {"actions"});
    return std::make_unique<QueryFilter>(parseActions(cfg, path, "parameter"));
  }
  if (name == "cookie") {
    requireKeys(cfg, path, {"actions"});
    return std::make_unique<CookieFilter>(parseActions(cfg, path, "name"));
  }
  throw ProvisionError(path + ".filter", "log field filter '" + name + "' is not supported yet");
}

void FieldRule::apply(Json& fields) const {
  Json* node = &fields;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!node->is_object() || !node->contains(path[i])) {
      return;
    }
    node = &(*node)[path[i]];
  }
  if (!path.empty() && node->is_object() && node->contains(path.back())) {
    filter->apply(*node, path.back());
  }
}

}  // namespace gatehouse::log
