// Request-line matchers: host, path, path_regexp, method.
#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "http/uri.h"
#include "provision/provision_error.h"
#include "router/escaped_path_match.h"
#include "router/go_lower.h"
#include "router/matcher_factories.h"
#include "router/matchers.h"
#include "router/path_pattern.h"
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

class HostMatcher final : public Matcher {
 public:
  explicit HostMatcher(std::vector<std::string> hosts) {
    for (auto& h : hosts) {
      hosts_.emplace_back(h);
    }
  }
  bool match(Exchange& ex) const override {
    std::string_view reqHost = http::hostWithoutPort(ex.request.host);
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
      Template t(goToLower(p));
      // A literal pattern is classified here, once; one with placeholders per request.
      auto fixed = t.literal() ? std::optional<PathPattern>(std::in_place, t.source()) : std::nullopt;
      patterns_.push_back({std::move(t), std::move(fixed)});
    }
  }
  bool match(Exchange& ex) const override {
    // Case-insensitive, with trailing dots and spaces trimmed before cleaning (Windows
    // ignores them, so "/x.php." must still match "*.php"; "/api/.." is "/api/"). See Caddy
    // #2917, #4407.
    std::string lowered = goToLower(ex.request.path);
    while (!lowered.empty() && (lowered.back() == '.' || lowered.back() == ' ')) {
      lowered.pop_back();
    }
    std::string merged;  // cleaned once, on first use
    for (const auto& p : patterns_) {
      std::optional<PathPattern> rendered;
      if (!p.fixed) {
        // Caddy lowers the pattern once, at provision, placeholders unexpanded: what a
        // placeholder brings in keeps its case ("*/{path.0}" never matches "/Upper.TXT").
        rendered.emplace(p.tmpl.render(ex));
      }
      const PathPattern& pattern = p.fixed ? *p.fixed : *rendered;
      if (pattern.any) {
        return true;
      }
      if (pattern.escaped) {
        // Escapes in the pattern: compared in escaped space, "%2F" is not "/".
        const std::string& raw = ex.request.rawPath;
        std::string escaped =
            cleanRequestPath(raw.empty() ? http::escapePath(ex.request.path) : raw, !pattern.keepSlashes);
        if (matchEscapedPathPattern(pattern, escaped)) {
          return true;
        }
        continue;
      }
      if (pattern.keepSlashes) {
        if (matchPathPattern(pattern.text, cleanRequestPath(lowered, false))) {
          return true;
        }
        continue;
      }
      if (merged.empty()) {
        merged = http::cleanPath(lowered);
      }
      if (matchPathPattern(pattern.text, merged)) {
        return true;
      }
    }
    return false;
  }

 private:
  struct Pattern {
    Template tmpl;
    std::optional<PathPattern> fixed;  // a literal pattern's, found at provision time
  };
  std::vector<Pattern> patterns_;
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

}  // namespace

std::unique_ptr<Matcher> makeHostMatcher(const Json& value, const std::string& path) {
  std::vector<std::string> hosts = stringList(value, path);
  // Caddy refuses a repeated host (compared without case) as a config error.
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string lower = toLower(hosts[i]);
    auto [it, fresh] = seen.emplace(lower, i);
    if (!fresh) {
      throw ProvisionError(path, "host at index " + std::to_string(it->second) + " is repeated at index " +
                                     std::to_string(i) + ": " + lower);
    }
  }
  return std::make_unique<HostMatcher>(std::move(hosts));
}

std::unique_ptr<Matcher> makePathMatcher(const Json& value, const std::string& path) {
  return std::make_unique<PathMatcher>(stringList(value, path));
}

std::unique_ptr<Matcher> makePathRegexpMatcher(const Json& value, const std::string& path) {
  if (!value.is_object() || !value.contains("pattern") || !value["pattern"].is_string()) {
    throw ProvisionError(path, "path_regexp needs a \"pattern\"");
  }
  return std::make_unique<PathRegexpMatcher>(value["pattern"].get<std::string>(), value.value("name", ""),
                                             path);
}

std::unique_ptr<Matcher> makeMethodMatcher(const Json& value, const std::string& path) {
  // Compared as written, as every Caddy does: `method get` matches no request.
  auto methods = stringList(value, path);
  return std::make_unique<MethodMatcher>(std::move(methods));
}

}  // namespace gatehouse::router
