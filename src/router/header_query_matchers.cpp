// Header and query matchers: header, header_regexp, query, protocol.
#include <algorithm>
#include <optional>

#include "http/uri.h"
#include "provision/provision_error.h"
#include "router/matcher_factories.h"
#include "router/placeholders.h"
#include "router/regexp.h"

namespace gatehouse::router {

using config::Json;
using detail::stringList;
using detail::toLower;
using provision::ProvisionError;
using runtime::Exchange;
using runtime::Matcher;

namespace {

// Values of a request header; "Host" answers from the request's host, as in Go.
std::vector<std::string_view> headerValues(const Exchange& ex, std::string_view field) {
  std::vector<std::string_view> out;
  if (runtime::equalsIgnoreCase(field, "Host")) {
    if (!ex.request.host.empty()) {
      out.push_back(ex.request.host);
    }
    return out;
  }
  for (const auto& f : ex.request.headers) {
    if (runtime::equalsIgnoreCase(f.name, field)) {
      out.push_back(f.value);
    }
  }
  return out;
}

bool wildcardValueMatch(std::string_view allowed, std::string_view actual) {
  if (allowed == "*") {
    return true;
  }
  const bool pre = !allowed.empty() && allowed.front() == '*';
  const bool suf = allowed.size() > 1 && allowed.back() == '*';
  if (pre && suf) {
    return actual.find(allowed.substr(1, allowed.size() - 2)) != std::string_view::npos;
  }
  if (pre) {
    return actual.ends_with(allowed.substr(1));
  }
  if (suf) {
    return actual.starts_with(allowed.substr(0, allowed.size() - 1));
  }
  return actual == allowed;
}

class HeaderMatcher final : public Matcher {
 public:
  struct Field {
    std::string name;
    std::optional<std::vector<Template>> values;  // nullopt: the field must be absent
  };
  explicit HeaderMatcher(std::vector<Field> fields) : fields_(std::move(fields)) {}
  bool match(Exchange& ex) const override {
    for (const auto& f : fields_) {
      auto actual = headerValues(ex, f.name);
      if (!f.values) {
        if (actual.empty()) {
          continue;
        }
        return false;
      }
      if (f.values->empty()) {
        if (!actual.empty()) {
          continue;  // an empty list asks only that the field exists
        }
        return false;
      }
      bool ok = false;
      for (auto a : actual) {
        for (const auto& t : *f.values) {
          if (wildcardValueMatch(t.render(ex), a)) {
            ok = true;
            break;
          }
        }
        if (ok) {
          break;
        }
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<Field> fields_;
};

class HeaderRegexpMatcher final : public Matcher {
 public:
  void add(std::string field, Regexp re) { fields_.emplace_back(std::move(field), std::move(re)); }
  bool match(Exchange& ex) const override {
    for (const auto& [field, re] : fields_) {
      bool ok = false;
      for (auto v : headerValues(ex, field)) {
        if (re.match(v, ex)) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<std::pair<std::string, Regexp>> fields_;
};

class QueryMatcher final : public Matcher {
 public:
  explicit QueryMatcher(std::vector<std::pair<std::string, std::vector<std::string>>> params)
      : params_(std::move(params)) {}
  bool match(Exchange& ex) const override {
    http::QueryPairs parsed;
    const bool ok = http::parseGoQuery(ex.request.query, parsed);
    if (params_.empty()) {
      return ok && parsed.empty();  // `query {}` matches only requests without a query
    }
    if (!ok) {
      return false;
    }
    // Every configured key must be present with one of its allowed values ("*": any); a
    // repeated key matches through any of its values (current Caddy; 2.6 ORed the keys).
    for (const auto& [key, values] : params_) {
      bool keyMatched = false;
      for (const auto& [k, v] : parsed) {
        if (k != key) {
          continue;
        }
        for (const auto& allowed : values) {
          if (allowed == "*" || allowed == v) {
            keyMatched = true;
            break;
          }
        }
        if (keyMatched) {
          break;
        }
      }
      if (!keyMatched) {
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> params_;
};

class ProtocolMatcher final : public Matcher {
 public:
  explicit ProtocolMatcher(std::string proto) : proto_(std::move(proto)) {}
  bool match(Exchange& ex) const override {
    const auto& r = ex.request;
    if (proto_ == "http") {
      return !r.tls;
    }
    if (proto_ == "https") {
      return r.tls;
    }
    if (proto_ == "grpc") {
      return r.headers.get("Content-Type").starts_with("application/grpc");
    }
    // Go's ProtoMajor/ProtoMinor comparisons (Request.ProtoAtLeast).
    const int major = r.versionMajor;
    const int minor = r.versionMinor;
    if (proto_ == "http/1.0") {
      return major == 1 && minor == 0;
    }
    if (proto_ == "http/1.1") {
      return major == 1 && minor == 1;
    }
    if (proto_ == "http/1.0+") {
      return major >= 1;
    }
    if (proto_ == "http/1.1+") {
      return major > 1 || (major == 1 && minor >= 1);
    }
    if (proto_ == "http/2") {
      return major == 2;
    }
    if (proto_ == "http/2+") {
      return major >= 2;
    }
    if (proto_ == "http/3") {
      return major == 3;
    }
    if (proto_ == "http/3+") {
      return major >= 3;
    }
    return false;  // an unknown name
  }

 private:
  std::string proto_;
};

}  // namespace

std::unique_ptr<Matcher> makeHeaderMatcher(const Json& value, const std::string& path) {
  if (!value.is_object()) {
    throw ProvisionError(path, "header matcher expects an object");
  }
  std::vector<HeaderMatcher::Field> fields;
  for (const auto& [field, vals] : value.items()) {
    HeaderMatcher::Field f{field, std::nullopt};
    if (!vals.is_null()) {
      f.values.emplace();
      for (const auto& v : stringList(vals, path + "." + field)) {
        f.values->emplace_back(v);
      }
    }
    fields.push_back(std::move(f));
  }
  return std::make_unique<HeaderMatcher>(std::move(fields));
}

std::unique_ptr<Matcher> makeHeaderRegexpMatcher(const Json& value, const std::string& path) {
  if (!value.is_object()) {
    throw ProvisionError(path, "header_regexp matcher expects an object");
  }
  auto m = std::make_unique<HeaderRegexpMatcher>();
  for (const auto& [field, re] : value.items()) {
    if (!re.is_object() || !re.contains("pattern") || !re["pattern"].is_string()) {
      throw ProvisionError(path + "." + field, "header_regexp needs a \"pattern\"");
    }
    m->add(field, Regexp(re["pattern"].get<std::string>(), re.value("name", ""), path + "." + field));
  }
  return m;
}

std::unique_ptr<Matcher> makeQueryMatcher(const Json& value, const std::string& path) {
  if (!value.is_object()) {
    throw ProvisionError(path, "query matcher expects an object");
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> params;
  for (const auto& [key, vals] : value.items()) {
    params.emplace_back(key, stringList(vals, path + "." + key));
  }
  return std::make_unique<QueryMatcher>(std::move(params));
}

std::unique_ptr<Matcher> makeProtocolMatcher(const Json& value, const std::string& path) {
  if (!value.is_string()) {
    throw ProvisionError(path, "protocol matcher expects a string");
  }
  // An unknown name ("http/1") is taken and never matches, as in caddy 2.6.2 (found by
  // match_fuzz.py: Gatehouse refused the config caddy runs).
  return std::make_unique<ProtocolMatcher>(toLower(value.get<std::string>()));
}

}  // namespace gatehouse::router
