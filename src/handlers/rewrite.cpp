// rewrite: changes the request's method, path and query before later routes see them
// (Caddyfile `rewrite`, `uri`, and the prefix stripping of `handle_path`).

#include <re2/re2.h>

#include "handlers/handlers.h"
#include "http/uri.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using router::Template;
using runtime::Exchange;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

struct Substring {
  std::string find;
  std::string replace;
  int limit = 0;
};

struct PathRegexp {
  std::unique_ptr<re2::RE2> find;
  std::string replace;
};

class Rewrite final : public runtime::Handler {
 public:
  std::optional<Template> method;
  std::optional<Template> uri;
  std::string stripPrefix;
  std::string stripSuffix;
  std::vector<Substring> substrings;
  std::vector<PathRegexp> pathRegexps;

  runtime::Outcome handle(Exchange& ex) const override {
    auto& r = ex.request;
    if (method) {
      r.method = method->render(ex);
    }
    if (uri) {
      applyUri(ex, uri->render(ex));
    }
    if (!stripPrefix.empty() && lower(r.path).starts_with(lower(stripPrefix))) {
      setPath(r, r.path.substr(stripPrefix.size()));
    }
    if (!stripSuffix.empty() && lower(r.path).ends_with(lower(stripSuffix))) {
      setPath(r, r.path.substr(0, r.path.size() - stripSuffix.size()));
    }
    for (const auto& s : substrings) {
      std::string p = r.path;
      int done = 0;
      for (size_t pos = p.find(s.find); pos != std::string::npos && !s.find.empty() && (s.limit <= 0 || done < s.limit);
           pos = p.find(s.find, pos + s.replace.size())) {
        p.replace(pos, s.find.size(), s.replace);
        ++done;
      }
      setPath(r, p);
    }
    for (const auto& pr : pathRegexps) {
      std::string p = r.path;
      re2::RE2::GlobalReplace(&p, *pr.find, pr.replace);
      setPath(r, p);
    }
    return runtime::Outcome::Continue;
  }

 private:
  static void setPath(runtime::Request& r, std::string path) {
    if (path.empty() || path.front() != '/') {
      path.insert(path.begin(), '/');
    }
    r.rawPath = http::escapePath(path);
    r.path = std::move(path);
  }

  // Path and query are replaced separately: "?a=b" keeps the path, "/x" keeps no query only
  // if the new URI names one (Caddy's rewrite.go semantics).
  static void applyUri(Exchange& ex, std::string uri) {
    auto& r = ex.request;
    size_t frag = uri.find('#');
    if (frag != std::string::npos) {
      uri.resize(frag);
    }
    size_t q = uri.find('?');
    std::string path = uri.substr(0, q);
    if (!path.empty()) {
      auto decoded = http::percentDecode(path);
      std::string p = decoded ? *decoded : path;
      if (p.front() != '/') {
        p.insert(p.begin(), '/');
      }
      r.rawPath = decoded ? (path.front() == '/' ? path : "/" + path) : http::escapePath(p);
      r.path = std::move(p);
    }
    if (q != std::string::npos) {
      r.query = uri.substr(q + 1);
      r.hasQuery = !r.query.empty();
    }
  }
};
static_assert(std::derived_from<Rewrite, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeRewrite(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"method", "uri", "strip_path_prefix", "strip_path_suffix", "uri_substring", "path_regexp"});
  auto rw = std::make_unique<Rewrite>();
  const auto& f = h.fields;
  try {
    if (f.contains("method")) {
      rw->method.emplace(f["method"].get<std::string>());
    }
    if (f.contains("uri")) {
      rw->uri.emplace(f["uri"].get<std::string>());
    }
    rw->stripPrefix = f.value("strip_path_prefix", "");
    rw->stripSuffix = f.value("strip_path_suffix", "");
    if (f.contains("uri_substring")) {
      for (const auto& s : f["uri_substring"]) {
        rw->substrings.push_back(Substring{s.value("find", ""), s.value("replace", ""), s.value("limit", 0)});
      }
    }
    if (f.contains("path_regexp")) {
      for (const auto& s : f["path_regexp"]) {
        PathRegexp pr{std::make_unique<re2::RE2>(s.value("find", ""), re2::RE2::Quiet), s.value("replace", "")};
        if (!pr.find->ok()) {
          throw ProvisionError(path + ".path_regexp", "invalid regular expression: " + pr.find->error());
        }
        rw->pathRegexps.push_back(std::move(pr));
      }
    }
  } catch (const config::Json::exception& e) {
    throw ProvisionError(path, std::string("malformed rewrite: ") + e.what());
  }
  return rw;
}

}  // namespace gatehouse::handlers
