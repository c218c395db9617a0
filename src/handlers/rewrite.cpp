// rewrite: changes the request's method, path and query before later routes see them
// (Caddyfile `rewrite`, `uri` including `uri query` operations, and the prefix stripping of
// `handle_path`).

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "handlers/handlers.h"
#include "handlers/path_change.h"
#include "handlers/query_ops.h"
#include "http/exchange_notes.h"
#include "http/uri.h"
#include "provision/known_keys.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using router::Template;
using runtime::Exchange;

namespace {

// {http.request.orig_method} once a rewrite changed the method (placeholders.cpp falls back
// to the current method).
constexpr std::string_view kOrigMethod = "http.request.orig_method";

struct Substring {
  Template find;
  Template replace;
  int limit = 0;
};

// Go's strings.Replace: up to limit (all when <= 0) non-overlapping matches, left to right.
// Length of the UTF-8 sequence starting at in[i], as Go's utf8.DecodeRune steps (a byte
// that starts no valid sequence is one step).
size_t runeLength(std::string_view in, size_t i) {
  const auto c = static_cast<unsigned char>(in[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (n == 1 || i + n > in.size()) {
    return 1;
  }
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(in[i + k]) & 0xC0) != 0x80) {
      return 1;
    }
  }
  return n;
}

// Go's strings.Replace with an empty old string: `repl` at the start and after each rune.
std::string insertBetweenRunes(std::string_view in, std::string_view repl, int limit) {
  std::string out;
  int done = 0;
  size_t i = 0;
  while (limit <= 0 || done < limit) {
    out.append(repl);
    ++done;
    if (i >= in.size()) {
      return out;
    }
    const size_t n = runeLength(in, i);
    out.append(in.substr(i, n));
    i += n;
  }
  out.append(in.substr(i));
  return out;
}

// Go's strings.Replace(in, find, repl, limit) (limit <= 0: all).
std::string replaceN(std::string_view in, std::string_view find, std::string_view repl, int limit) {
  if (find.empty()) {
    return insertBetweenRunes(in, repl, limit);  // (searching for "" would never advance)
  }
  std::string out;
  size_t from = 0;
  int done = 0;
  for (size_t pos = in.find(find); pos != std::string_view::npos && (limit <= 0 || done < limit);
       pos = in.find(find, from)) {
    out.append(in.substr(from, pos - from));
    out.append(repl);
    from = pos + find.size();
    ++done;
  }
  out.append(in.substr(from));
  return out;
}

struct PathRegexp {
  std::unique_ptr<re2::RE2> find;
  Template replace;
};

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Turns a Go regexp.Expand template ($1, ${1}, $name, ${name}, $$) into an RE2 rewrite
// string (\1 ...). As in Go, a group that does not exist expands to nothing and a malformed
// `$` stays literal; RE2 rewrites reach \9 at most, so higher groups expand to nothing too.
std::string goTemplateToRe2(std::string_view t, const re2::RE2& re) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '\\') {
      out += "\\\\";
      continue;
    }
    if (c != '$' || i + 1 >= t.size()) {
      out += c;
      continue;
    }
    if (t[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string_view name;
    size_t end = 0;
    if (t[i + 1] == '{') {
      size_t close = t.find('}', i + 2);
      if (close == std::string_view::npos || close == i + 2 ||
          !std::all_of(t.begin() + static_cast<std::ptrdiff_t>(i) + 2,
                       t.begin() + static_cast<std::ptrdiff_t>(close), isNameChar)) {
        out += c;
        continue;
      }
      name = t.substr(i + 2, close - i - 2);
      end = close;
    } else {
      size_t j = i + 1;
      while (j < t.size() && isNameChar(t[j])) {
        ++j;
      }
      if (j == i + 1) {
        out += c;
        continue;
      }
      name = t.substr(i + 1, j - i - 1);
      end = j - 1;
    }
    i = end;
    int group = -1;
    if (std::all_of(name.begin(), name.end(),
                    [](char d) { return std::isdigit(static_cast<unsigned char>(d)) != 0; })) {
      group = name.size() > 3 ? -1 : std::stoi(std::string(name));
    } else {
      const auto& named = re.NamedCapturingGroups();
      auto it = named.find(std::string(name));
      group = it == named.end() ? -1 : it->second;
    }
    if (group >= 0 && group <= 9 && group <= re.NumberOfCapturingGroups()) {
      out += '\\';
      out += static_cast<char>('0' + group);
    }
  }
  return out;
}

// One component (a key or a value) of a query template: placeholder values are
// query-escaped, except the raw query itself in key position (it is escaped already). A
// placeholder with no value (unknown, or a var never set) prints as Go's fmt prints a nil,
// "<nil>", since 2.6.2 formats the value with %+v.
std::string renderQueryComponent(std::string_view comp, const Exchange& ex, bool keyPosition) {
  std::string out;
  std::string value;
  for (size_t i = 0; i < comp.size(); ++i) {
    const char c = comp[i];
    if (c == '\\' && i + 1 < comp.size() && (comp[i + 1] == '{' || comp[i + 1] == '}')) {
      out += comp[++i];
      continue;
    }
    size_t close = c == '{' ? comp.find('}', i + 1) : std::string_view::npos;
    if (close == std::string_view::npos || close == i + 1) {
      out += c;
      continue;
    }
    const std::string_view key = comp.substr(i + 1, close - i - 1);
    i = close;
    if (router::placeholderIsNil(key, ex)) {
      out += "%3Cnil%3E";
      continue;
    }
    router::lookupPlaceholder(key, ex, value);
    out += key == "http.request.uri.query" && keyPosition ? value : http::queryEscape(value);
  }
  return out;
}

// Caddy's buildQueryString: the template is cut into keys and values at '=' and '&' before
// placeholders are replaced, so a value cannot inject new parameters, and empty components
// leave no stray '&'.
std::string buildQueryString(std::string_view qs, const Exchange& ex) {
  std::string out;
  bool wroteVal = true;  // the first component is a key
  while (!qs.empty()) {
    const size_t eq = qs.find('=');
    const size_t amp = qs.find('&');
    const bool ampIsNext = amp != std::string_view::npos && (eq == std::string_view::npos || amp < eq);
    size_t end = qs.size();
    if (ampIsNext) {
      end = amp;
    } else if (eq != std::string_view::npos) {
      end = eq;
    }
    const std::string comp = renderQueryComponent(qs.substr(0, end), ex, wroteVal);
    qs.remove_prefix(end < qs.size() ? end + 1 : end);
    if (wroteVal) {
      if (!out.empty() && !comp.empty()) {
        out += '&';
      }
    } else {
      out += '=';
    }
    out += comp;
    wroteVal = ampIsNext;
  }
  return out;
}

class Rewrite final : public runtime::Handler {
 public:
  std::optional<Template> method;
  std::optional<Template> uri;          // the path part of `uri`, when it has one
  std::optional<std::string> uriQuery;  // the query template after '?', when `uri` has one
  Template stripPrefix;
  Template stripSuffix;
  std::vector<Substring> substrings;
  std::vector<PathRegexp> pathRegexps;
  std::optional<QueryOps> queryOps;  // applied last, as Caddy 2.8's Rewrite

  runtime::Outcome handle(Exchange& ex) const override {
    auto& r = ex.request;
    if (method) {
      if (router::findSetPlaceholder(ex, kOrigMethod) == nullptr) {
        router::setPlaceholder(ex, kOrigMethod, r.method);  // Caddy keeps the original request
      }
      r.method = method->render(ex);
      // Caddy upper-cases the new method (`method put` is PUT, matchers and {method} alike).
      for (char& c : r.method) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    }
    if (uri || uriQuery) {
      applyUri(ex);
    }
    if (!stripPrefix.source().empty()) {
      const std::string prefix = stripPrefix.render(ex);
      const bool merge = prefix.find("//") == std::string::npos;
      changePath(r,
                 [&](std::string_view p) { return trimEscapedPrefix(cleanPathSlashes(p, merge), prefix); });
      anchor(ex);
    }
    if (!stripSuffix.source().empty()) {
      const std::string suffix = stripSuffix.render(ex);
      const bool merge = suffix.find("//") == std::string::npos;
      changePath(r,
                 [&](std::string_view p) { return trimEscapedSuffix(cleanPathSlashes(p, merge), suffix); });
      anchor(ex);
    }
    for (const auto& s : substrings) {
      if (s.find.source().empty()) {
        continue;
      }
      const std::string find = s.find.render(ex);
      const std::string repl = s.replace.render(ex);
      const bool merge = s.find.source().find("//") == std::string::npos;
      changePath(
          r, [&](std::string_view p) { return replaceN(cleanPathSlashes(p, merge), find, repl, s.limit); });
      // Caddy replaces in the raw query too.
      r.query = replaceN(r.query, find, repl, s.limit);
    }
    for (const auto& pr : pathRegexps) {
      // Caddy replaces placeholders first, unknown ones with nothing: `${1}` loses its `{1}`.
      const std::string rewriteStr = goTemplateToRe2(pr.replace.render(ex), *pr.find);
      changePath(r, [&](std::string_view p) {
        std::string out(p);
        re2::RE2::GlobalReplace(&out, *pr.find, rewriteStr);
        return out;
      });
    }
    if (queryOps) {
      queryOps->apply(ex);
    }
    return runtime::Outcome::Continue;
  }

 private:
  // A stripped path that lost its leading '/' gets it back, as current Caddy does (2.6.2
  // leaves "" or "files/x"; see the handle_path compat case).
  static void anchor(Exchange& ex) {
    auto& r = ex.request;
    http::notePathStrippedEmpty(ex, r.path.empty());
    if (r.path.empty() || r.path.front() != '/') {
      r.path.insert(r.path.begin(), '/');
    }
    if (r.rawPath.empty() || r.rawPath.front() != '/') {
      r.rawPath.insert(r.rawPath.begin(), '/');
    }
  }

  // Path and query are built separately, as Caddy's rewrite: "?a=b" keeps the path, "/x"
  // keeps the query. A '?' that a placeholder brings into the path ends the path there; what
  // follows it becomes the query only when the template ends in a bare '?' (2.6.2 sets the
  // query only when the template has a '?', so `rewrite @f {http.matchers.file.relative}`
  // to a file named "a?b" keeps the request's own query: Statamic's static-cache names).
  void applyUri(Exchange& ex) const {
    auto& r = ex.request;
    // Every part is built before any is applied, so all read the same request.
    std::string path;
    std::string injected;
    bool hasInjected = false;
    if (uri) {
      path = uri->render(ex);
      if (size_t q = path.find('?'); q != std::string::npos) {
        injected = path.substr(q + 1);
        hasInjected = true;
        path.resize(q);
      }
    }
    std::optional<std::string> query;
    if (uriQuery && !uriQuery->empty()) {
      query = buildQueryString(*uriQuery, ex);
    } else if (uriQuery) {
      query = hasInjected ? buildQueryString(injected, ex) : std::string();
    }
    // A path part that renders empty still replaces the path, as Caddy's (an optional regexp
    // group that matched nothing: `rewrite * {re.userdir.2}` for "/~alice"); it is then
    // anchored to "/" like any relative result.
    if (uri) {
      // The path is now the rewrite's: a path a prefix strip emptied stays "emptied" (Go's
      // path.Base ".", which file_server's canonical redirect compares) only when this one
      // is empty too. try_files after `handle_path /docs/*` for "/docs/." rewrites to "/",
      // and 2.6.2 then serves the index without a redirect.
      http::notePathStrippedEmpty(ex, path.empty());
      setUriPath(r, path);
    }
    if (query) {
      r.query = std::move(*query);
      r.hasQuery = !r.query.empty();
    }
  }

  // Go's URL.EscapedPath after Caddy sets only URL.Path: the request's escaped path stays
  // when it still spells the new path (a rewrite to the same "/a%2Fb"), anything else is the
  // new path escaped afresh (a space or non-ASCII from a placeholder reads back %XX, and a
  // written "%2F" is a '/').
  static void setUriPath(runtime::Request& r, const std::string& path) {
    auto decoded = http::percentDecode(path);
    std::string p = decoded ? *decoded : path;
    if (p.empty() || p.front() != '/') {
      p.insert(p.begin(), '/');
    }
    r.rawPath = http::goEscapedPath(p, r.rawPath);
    r.path = std::move(p);
  }
};
static_assert(std::derived_from<Rewrite, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeRewrite(const config::Handler& h, const std::string& path) {
  requireKnownFields(
      h, path,
      {"method", "uri", "strip_path_prefix", "strip_path_suffix", "uri_substring", "path_regexp", "query"});
  auto rw = std::make_unique<Rewrite>();
  const auto& f = h.fields;
  try {
    if (f.contains("method")) {
      rw->method.emplace(f["method"].get<std::string>());
    }
    if (f.contains("uri")) {
      // Split the template itself (not its result) into path, query and fragment.
      std::string u = f["uri"].get<std::string>();
      u = u.substr(0, u.find('#'));  // a fragment never reaches the server
      const size_t q = u.find('?');
      if (q != 0 && !u.empty()) {
        rw->uri.emplace(u.substr(0, q));
      }
      if (q != std::string::npos) {
        rw->uriQuery = u.substr(q + 1);
      }
    }
    rw->stripPrefix = Template(f.value("strip_path_prefix", ""));
    rw->stripSuffix = Template(f.value("strip_path_suffix", ""));
    if (f.contains("uri_substring")) {
      for (size_t i = 0; i < f["uri_substring"].size(); ++i) {
        const auto& s = f["uri_substring"][i];
        provision::onlyKeys(s, path + ".uri_substring[" + std::to_string(i) + "]",
                            {"find", "replace", "limit"});
        rw->substrings.push_back(
            Substring{Template(s.value("find", "")), Template(s.value("replace", "")), s.value("limit", 0)});
      }
    }
    if (f.contains("query")) {
      rw->queryOps.emplace(QueryOps::fromJson(f["query"], path + ".query"));
    }
    if (f.contains("path_regexp")) {
      for (size_t i = 0; i < f["path_regexp"].size(); ++i) {
        const auto& s = f["path_regexp"][i];
        provision::onlyKeys(s, path + ".path_regexp[" + std::to_string(i) + "]", {"find", "replace"});
        PathRegexp pr{std::make_unique<re2::RE2>(s.value("find", ""), re2::RE2::Quiet),
                      Template(s.value("replace", ""))};
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
