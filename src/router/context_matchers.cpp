// Context matchers: remote_ip/client_ip, not, vars, vars_regexp (file: file_matcher.cpp).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "http/uri.h"
#include "provision/provision_error.h"
#include "router/ip_range.h"
#include "router/matcher_factories.h"
#include "router/matchers.h"
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

// caddy 2.6.2's remote_ip `forwarded`: the first X-Forwarded-For entry (its port and IPv6
// zone dropped, as net.SplitHostPort and Caddy do) instead of the peer, when the field is
// there; an entry that is no IP address matches nothing.
std::string forwardedClient(const Exchange& ex) {
  std::string_view v = ex.request.headers.get("X-Forwarded-For");
  if (v.empty()) {
    return ex.request.remoteIp;
  }
  v = v.substr(0, v.find(','));
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  if (v.starts_with('[') && v.find("]:") != std::string_view::npos) {
    v = v.substr(1, v.find("]:") - 1);
  } else if (const size_t colon = v.find(':');
             colon != std::string_view::npos && v.find(':', colon + 1) == std::string_view::npos) {
    v = v.substr(0, colon);
  }
  return std::string(v.substr(0, v.find('%')));
}

class RemoteIpMatcher final : public Matcher {
 public:
  RemoteIpMatcher(std::vector<IpRange> ranges, bool forwarded)
      : ranges_(std::move(ranges)), forwarded_(forwarded) {}
  bool match(Exchange& ex) const override {
    const std::string forwardedIp = forwarded_ ? forwardedClient(ex) : std::string();
    const std::string& ip = forwarded_ ? forwardedIp : ex.request.remoteIp;
    for (const auto& r : ranges_) {
      if (r.contains(ip)) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<IpRange> ranges_;
  bool forwarded_;
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
  explicit VarsMatcher(std::vector<std::pair<std::string, std::vector<Template>>> vars)
      : vars_(std::move(vars)) {}
  bool match(Exchange& ex) const override {
    for (const auto& [key, values] : vars_) {
      // Go formats a missing value (nil: an unset variable, an unknown placeholder) with %v,
      // so it compares as "<nil>", never as "".
      std::string actual = "<nil>";
      if (key.size() > 2 && key.front() == '{' && key.back() == '}' &&
          std::count(key.begin(), key.end(), '{') == 1) {
        const std::string_view name = std::string_view(key).substr(1, key.size() - 2);
        if (!placeholderIsNil(name, ex)) {
          actual.clear();
          lookupPlaceholder(name, ex, actual);
        }
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

}  // namespace

std::unique_ptr<Matcher> makeRemoteIpMatcher(const std::string& name, const Json& value,
                                             const std::string& path) {
  if (!value.is_object()) {
    throw ProvisionError(path, name + " matcher expects an object");
  }
  for (const auto& [k, v] : value.items()) {
    if (k != "ranges" && !(k == "forwarded" && name == "remote_ip")) {
      throw ProvisionError(path + "." + k, name + " option '" + k + "' is not supported yet");
    }
  }
  const bool forwarded =
      value.contains("forwarded") && value["forwarded"].is_boolean() && value["forwarded"].get<bool>();
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
  return std::make_unique<RemoteIpMatcher>(std::move(ranges), forwarded);
}

std::unique_ptr<Matcher> makeNotMatcher(const Json& value, const std::string& path) {
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

std::unique_ptr<Matcher> makeVarsMatcher(const Json& value, const std::string& path) {
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

std::unique_ptr<Matcher> makeVarsRegexpMatcher(const Json& value, const std::string& path) {
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

}  // namespace gatehouse::router
