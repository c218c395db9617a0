#include "router/matchers.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <tuple>

#include "http/uri.h"
#include "provision/provision_error.h"
#include "router/ip_range.h"
#include "router/placeholders.h"
#include "router/regexp.h"

namespace gatehouse::router {

using config::Json;
using provision::ProvisionError;
using runtime::Exchange;
using runtime::Matcher;

namespace {

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return out;
}

std::vector<std::string> stringList(const Json& j, const std::string& path) {
  if (!j.is_array()) {
    throw ProvisionError(path, "expected an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) {
      throw ProvisionError(path, "expected an array of strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string_view requestHostOnly(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  size_t colon = host.find(':');
  if (colon != std::string_view::npos && host.rfind(':') == colon) {
    return host.substr(0, colon);
  }
  return host;
}

class HostMatcher final : public Matcher {
 public:
  explicit HostMatcher(std::vector<std::string> hosts) {
    for (auto& h : hosts) {
      hosts_.emplace_back(h);
    }
  }
  bool match(Exchange& ex) const override {
    std::string_view reqHost = requestHostOnly(ex.request.host);
    for (const auto& t : hosts_) {
      std::string host = t.render(ex);
      if (host.find('*') == std::string::npos) {
        if (runtime::equalsIgnoreCase(host, reqHost)) {
          return true;
        }
        continue;
      }
      // Wildcards stand for exactly one label, and the label counts must agree.
      std::string_view pat = host;
      std::string_view in = reqHost;
      bool ok = true;
      while (ok) {
        size_t pd = pat.find('.');
        size_t id = in.find('.');
        std::string_view pl = pat.substr(0, pd);
        std::string_view il = in.substr(0, id);
        if (pl != "*" && !runtime::equalsIgnoreCase(pl, il)) {
          ok = false;
          break;
        }
        if ((pd == std::string_view::npos) != (id == std::string_view::npos)) {
          ok = false;
          break;
        }
        if (pd == std::string_view::npos) {
          break;
        }
        pat.remove_prefix(pd + 1);
        in.remove_prefix(id + 1);
      }
      if (ok) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<Template> hosts_;
};

class PathMatcher final : public Matcher {
 public:
  explicit PathMatcher(std::vector<std::string> patterns) {
    for (auto& p : patterns) {
      patterns_.emplace_back(toLower(p));
    }
  }
  bool match(Exchange& ex) const override {
    // Case-insensitive, on the cleaned path, with trailing dots and spaces trimmed (Windows
    // ignores them, so "/x.php." must still match "*.php"). See Caddy #2917, #4407.
    std::string reqPath = toLower(http::cleanPath(ex.request.path));
    while (!reqPath.empty() && (reqPath.back() == '.' || reqPath.back() == ' ')) {
      reqPath.pop_back();
    }
    for (const auto& t : patterns_) {
      if (matchPathPattern(t.literal() ? t.source() : toLower(t.render(ex)), reqPath)) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<Template> patterns_;
};

class PathRegexpMatcher final : public Matcher {
 public:
  PathRegexpMatcher(const std::string& pattern, std::string name, const std::string& path)
      : re_(pattern, std::move(name), path) {}
  bool match(Exchange& ex) const override { return re_.match(http::cleanPath(ex.request.path), ex); }

 private:
  Regexp re_;
};

class MethodMatcher final : public Matcher {
 public:
  explicit MethodMatcher(std::vector<std::string> methods) : methods_(std::move(methods)) {}
  bool match(Exchange& ex) const override {
    return std::find(methods_.begin(), methods_.end(), ex.request.method) != methods_.end();
  }

 private:
  std::vector<std::string> methods_;
};

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

// Decoded (key, first value) pairs of a raw query, as Go's url.ParseQuery.
bool parseQuery(std::string_view q, std::vector<std::pair<std::string, std::string>>& out) {
  auto decode = [](std::string_view s, std::string& dst) {
    std::string plus(s);
    std::replace(plus.begin(), plus.end(), '+', ' ');
    auto d = http::percentDecode(plus);
    if (!d) {
      return false;
    }
    dst = std::move(*d);
    return true;
  };
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    std::string k;
    std::string v;
    if (!decode(pair.substr(0, eq), k) ||
        !decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), v)) {
      return false;
    }
    out.emplace_back(std::move(k), std::move(v));
  }
  return true;
}

class QueryMatcher final : public Matcher {
 public:
  explicit QueryMatcher(std::vector<std::pair<std::string, std::vector<std::string>>> params)
      : params_(std::move(params)) {}
  bool match(Exchange& ex) const override {
    std::vector<std::pair<std::string, std::string>> parsed;
    bool ok = parseQuery(ex.request.query, parsed);
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
    if (proto_ == "http/1.0") {
      return r.versionMinor == 0;
    }
    if (proto_ == "http/1.1") {
      return r.versionMinor == 1;
    }
    if (proto_ == "http/1.0+" || proto_ == "http/1.1+") {
      return proto_ == "http/1.0+" || r.versionMinor >= 1;
    }
    return false;  // http/2, http/3: this session speaks HTTP/1.x only
  }

 private:
  std::string proto_;
};

class RemoteIpMatcher final : public Matcher {
 public:
  explicit RemoteIpMatcher(std::vector<IpRange> ranges) : ranges_(std::move(ranges)) {}
  bool match(Exchange& ex) const override {
    for (const auto& r : ranges_) {
      if (r.contains(ex.request.remoteIp)) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<IpRange> ranges_;
};

class NotMatcher final : public Matcher {
 public:
  explicit NotMatcher(std::vector<MatcherSet> sets) : sets_(std::move(sets)) {}
  bool match(Exchange& ex) const override {
    for (const auto& s : sets_) {
      if (s.match(ex)) {
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<MatcherSet> sets_;
};

class VarsMatcher final : public Matcher {
 public:
  explicit VarsMatcher(std::vector<std::pair<std::string, std::vector<Template>>> vars) : vars_(std::move(vars)) {}
  bool match(Exchange& ex) const override {
    for (const auto& [key, values] : vars_) {
      std::string actual;
      if (key.size() > 2 && key.front() == '{' && key.back() == '}' &&
          std::count(key.begin(), key.end(), '{') == 1) {
        lookupPlaceholder(std::string_view(key).substr(1, key.size() - 2), ex, actual);
      } else if (const std::string* v = ex.var(key)) {
        actual = *v;
      }
      for (const auto& t : values) {
        if (t.render(ex) == actual) {
          return true;
        }
      }
    }
    return false;
  }

 private:
  std::vector<std::pair<std::string, std::vector<Template>>> vars_;
};

// vars_regexp (Caddy's MatchVarsRE): for each key, the variable's value (placeholders in it
// expanded), then the key itself with placeholders expanded, is searched with the regexp.
class VarsRegexpMatcher final : public Matcher {
 public:
  void add(std::string key, Regexp re) { vars_.emplace_back(Template(key), std::move(key), std::move(re)); }
  bool match(Exchange& ex) const override {
    for (const auto& [keyTemplate, key, re] : vars_) {
      const std::string* v = ex.var(key);
      // Go prints a missing value (nil) as "<nil>".
      std::string value = v ? Template(*v).render(ex) : std::string("<nil>");
      if (re.match(value, ex)) {
        return true;
      }
      if (re.match(keyTemplate.render(ex), ex)) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<std::tuple<Template, std::string, Regexp>> vars_;
};

// file (Caddy's MatchFile, try_policy first_exist): the first of try_files that exists under
// root (a path ending in '/' must be a directory, any other must not be) matches and sets
// {http.matchers.file.relative|absolute|remainder|type}.
class FileMatcher final : public Matcher {
 public:
  FileMatcher(Template root, std::vector<Template> files) : root_(std::move(root)), files_(std::move(files)) {}
  bool match(Exchange& ex) const override {
    std::string root = root_.render(ex);
    if (root.empty()) {
      root = ".";
    }
    root = std::filesystem::path(root).lexically_normal().string();
    if (root.size() > 1 && root.back() == '/') {
      root.pop_back();
    }
    std::vector<std::string> tries;
    if (files_.empty()) {
      tries.push_back(ex.request.path);
    }
    for (const auto& f : files_) {
      tries.push_back(f.render(ex));
    }
    for (const auto& file : tries) {
      // Go: suffix = path.Clean(file) (+ "/" when file ends in one); SanitizedPathJoin(root, suffix).
      std::string suffix = file.empty() ? std::string(".") : http::cleanPath(file);
      bool wantDir = !file.empty() && file.back() == '/';
      if (wantDir && (suffix.empty() || suffix.back() != '/')) {
        suffix += '/';
      } else if (!wantDir && suffix.size() > 1 && suffix.back() == '/') {
        suffix.pop_back();
      }
      std::string joined = http::cleanPath("/" + suffix);
      if (joined.size() > 1 && joined.back() == '/') {
        joined.pop_back();
      }
      std::string full = joined == "/" ? root : (root == "/" ? joined : root + joined);
      if (wantDir && full.back() != '/') {
        full += '/';
      }
      struct stat st {};
      if (::stat(full.c_str(), &st) != 0 || S_ISDIR(st.st_mode) != wantDir) {
        continue;
      }
      ex.setCapture(std::string(kFileMatcherCapturePrefix) + "relative", suffix);
      ex.setCapture(std::string(kFileMatcherCapturePrefix) + "absolute", full);
      ex.setCapture(std::string(kFileMatcherCapturePrefix) + "remainder", "");
      ex.setCapture(std::string(kFileMatcherCapturePrefix) + "type", S_ISDIR(st.st_mode) ? "directory" : "file");
      return true;
    }
    return false;
  }

 private:
  Template root_;
  std::vector<Template> files_;
};

std::unique_ptr<Matcher> compileMatcher(const std::string& name, const Json& value, const std::string& path) {
  if (name == "host") {
    return std::make_unique<HostMatcher>(stringList(value, path));
  }
  if (name == "path") {
    return std::make_unique<PathMatcher>(stringList(value, path));
  }
  if (name == "path_regexp") {
    if (!value.is_object() || !value.contains("pattern") || !value["pattern"].is_string()) {
      throw ProvisionError(path, "path_regexp needs a \"pattern\"");
    }
    return std::make_unique<PathRegexpMatcher>(value["pattern"].get<std::string>(), value.value("name", ""), path);
  }
  if (name == "method") {
    auto methods = stringList(value, path);
    for (auto& m : methods) {
      for (char& c : m) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    }
    return std::make_unique<MethodMatcher>(std::move(methods));
  }
  if (name == "header") {
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
  if (name == "header_regexp") {
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
  if (name == "query") {
    if (!value.is_object()) {
      throw ProvisionError(path, "query matcher expects an object");
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> params;
    for (const auto& [key, vals] : value.items()) {
      params.emplace_back(key, stringList(vals, path + "." + key));
    }
    return std::make_unique<QueryMatcher>(std::move(params));
  }
  if (name == "protocol") {
    if (!value.is_string()) {
      throw ProvisionError(path, "protocol matcher expects a string");
    }
    std::string proto = toLower(value.get<std::string>());
    static constexpr std::array kKnown = {"http", "https", "grpc", "http/1.0", "http/1.0+", "http/1.1",
                                          "http/1.1+", "http/2", "http/2+", "http/3", "http/3+"};
    if (std::find(kKnown.begin(), kKnown.end(), proto) == kKnown.end()) {
      throw ProvisionError(path, "unknown protocol '" + proto + "'");
    }
    return std::make_unique<ProtocolMatcher>(proto);
  }
  if (name == "remote_ip" || name == "client_ip") {
    if (!value.is_object()) {
      throw ProvisionError(path, name + " matcher expects an object");
    }
    for (const auto& [k, v] : value.items()) {
      if (k != "ranges") {
        throw ProvisionError(path + "." + k, name + " option '" + k + "' is not supported yet");
      }
    }
    std::vector<IpRange> ranges;
    for (const auto& r : stringList(value.value("ranges", Json::array()), path + ".ranges")) {
      if (r.find('{') != std::string::npos) {
        throw ProvisionError(path + ".ranges", "placeholders in IP ranges are not supported yet");
      }
      auto parsed = IpRange::parse(r);
      if (!parsed) {
        throw ProvisionError(path + ".ranges", "invalid IP address or CIDR range '" + r + "'");
      }
      ranges.push_back(*parsed);
    }
    return std::make_unique<RemoteIpMatcher>(std::move(ranges));
  }
  if (name == "not") {
    // Caddy accepts one set (an object) or an array of sets.
    std::vector<MatcherSet> sets;
    if (value.is_object()) {
      sets.push_back(compileMatcherSet(value, path));
    } else if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        sets.push_back(compileMatcherSet(value[i], path + "[" + std::to_string(i) + "]"));
      }
    } else {
      throw ProvisionError(path, "not matcher expects matcher sets");
    }
    return std::make_unique<NotMatcher>(std::move(sets));
  }
  if (name == "vars") {
    if (!value.is_object()) {
      throw ProvisionError(path, "vars matcher expects an object");
    }
    std::vector<std::pair<std::string, std::vector<Template>>> vars;
    for (const auto& [key, vals] : value.items()) {
      std::vector<Template> ts;
      for (const auto& v : stringList(vals, path + "." + key)) {
        ts.emplace_back(v);
      }
      vars.emplace_back(key, std::move(ts));
    }
    return std::make_unique<VarsMatcher>(std::move(vars));
  }
  if (name == "vars_regexp") {
    if (!value.is_object()) {
      throw ProvisionError(path, "vars_regexp matcher expects an object");
    }
    auto m = std::make_unique<VarsRegexpMatcher>();
    for (const auto& [key, re] : value.items()) {
      if (!re.is_object() || !re.contains("pattern") || !re["pattern"].is_string()) {
        throw ProvisionError(path + "." + key, "vars_regexp needs a \"pattern\"");
      }
      m->add(key, Regexp(re["pattern"].get<std::string>(), re.value("name", ""), path + "." + key));
    }
    return m;
  }
  if (name == "file") {
    if (!value.is_object()) {
      throw ProvisionError(path, "file matcher expects an object");
    }
    std::string root = "{http.vars.root}";
    std::vector<Template> files;
    for (const auto& [k, v] : value.items()) {
      if (k == "root" && v.is_string()) {
        root = v.get<std::string>();
      } else if (k == "try_files") {
        for (const auto& f : stringList(v, path + ".try_files")) {
          if (!f.empty() && f.front() == '=') {
            throw ProvisionError(path + ".try_files", "try_files status codes ('" + f + "') are not supported yet");
          }
          files.emplace_back(f);
        }
      } else if (k == "try_policy" && v.is_string() && (v.get<std::string>().empty() || v.get<std::string>() == "first_exist")) {
        continue;
      } else {
        throw ProvisionError(path + "." + k, "file matcher option '" + k + "' is not supported yet");
      }
    }
    return std::make_unique<FileMatcher>(Template(root), std::move(files));
  }
  throw ProvisionError(path, "matcher '" + name + "' is not supported yet");
}

}  // namespace

bool MatcherSet::match(Exchange& ex) const {
  for (const auto& m : matchers_) {
    if (!m->match(ex)) {
      return false;
    }
  }
  return true;
}

MatcherSet compileMatcherSet(const Json& set, const std::string& path) {
  if (!set.is_object()) {
    throw ProvisionError(path, "a matcher set must be an object");
  }
  MatcherSet out;
  for (const auto& [name, value] : set.items()) {
    out.add(compileMatcher(name, value, path + "." + name));
  }
  return out;
}

std::vector<MatcherSet> compileMatcherSets(const std::vector<config::MatcherSet>& sets, const std::string& path) {
  std::vector<MatcherSet> out;
  for (size_t i = 0; i < sets.size(); ++i) {
    out.push_back(compileMatcherSet(sets[i], path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace gatehouse::router
