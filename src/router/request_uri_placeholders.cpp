// {http.request.uri.*} and {http.request.orig_uri.*}: the request target as routing sees it
// (after rewrites) and as the client sent it, split the way Go's path and url packages do.

#include "http/uri.h"
#include "router/request_placeholders.h"

namespace gatehouse::router {

namespace {

// path.Split's halves: the directory with its trailing '/', and the last element.
std::string pathDir(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? "" : p.substr(0, slash + 1);
}

std::string pathFile(const std::string& p) {
  const size_t slash = p.rfind('/');
  return p.substr(slash == std::string::npos ? 0 : slash + 1);
}

// Go's path.Base without path.Ext (`ext` false), or path.Ext.
std::string baseOrExt(const std::string& path, bool ext) {
  std::string_view p = path;
  while (p.size() > 1 && p.back() == '/') {
    p.remove_suffix(1);
  }
  const size_t slash = p.rfind('/');
  std::string_view base = p.empty()
                              ? std::string_view(".")
                              : (p == "/" ? p : p.substr(slash == std::string_view::npos ? 0 : slash + 1));
  const size_t lastSlash = path.rfind('/');
  const size_t dot = path.rfind('.');
  const std::string_view extension =
      dot == std::string::npos || (lastSlash != std::string::npos && dot < lastSlash)
          ? std::string_view()
          : std::string_view(path).substr(dot);
  if (ext) {
    return std::string(extension);
  }
  return std::string(base.ends_with(extension) ? base.substr(0, base.size() - extension.size()) : base);
}

// {http.request.uri.path.N}: the Nth segment of the path; false for an index Go rejects.
bool pathSegment(std::string_view p, std::string_view index, std::string& out) {
  int64_t want = 0;
  if (!readsAsInt(index, want) || want < 0) {
    return false;
  }
  if (!p.empty() && p.front() == '/') {
    p.remove_prefix(1);
  }
  out.clear();
  for (int64_t i = 0; i <= want; ++i) {
    size_t slash = p.find('/');
    if (i == want) {
      out.assign(p.substr(0, slash));
    }
    if (slash == std::string_view::npos) {
      break;
    }
    p.remove_prefix(slash + 1);
  }
  return true;
}

// Every value of `name` in a raw query string, joined with ',' as Caddy's
// {http.request.uri.query.*} (Go's URL.Query(): pairs it cannot parse left out). Empty
// when the name is absent.
std::string queryValue(std::string_view query, std::string_view name) {
  http::QueryPairs pairs;
  http::parseGoQuery(query, pairs);
  std::string out;
  bool found = false;
  for (const auto& [key, value] : pairs) {
    if (key != name) {
      continue;
    }
    if (found) {
      out += ',';
    }
    found = true;
    out += value;
  }
  return out;
}

// "?" and the query, or nothing for an empty query: Caddy 2.7's prefixed_query
// (php_fastcgi's redirect).
std::string prefixedQuery(const std::string& query) {
  return query.empty() ? "" : "?" + query;
}

// Go's URL.Path of the target as received: decoded, and without the scheme and authority of
// an absolute-form target.
std::string origPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (!target.empty() && target.front() != '/' && target != "*") {
    const size_t authority = target.find("://");
    const size_t slash = authority == std::string_view::npos ? 0 : target.find('/', authority + 3);
    target = slash == std::string_view::npos ? std::string_view() : target.substr(slash);
  }
  auto decoded = http::percentDecode(target);
  return decoded ? *decoded : std::string(target);
}

std::string origQuery(const std::string& origUri) {
  const size_t q = origUri.find('?');
  return q == std::string::npos ? "" : origUri.substr(q + 1);
}

// `rest`: what follows "uri" in the key.
bool uriPlaceholder(std::string_view rest, const runtime::Request& r, std::string& out) {
  if (rest.empty()) {
    out = r.uri();
  } else if (rest == ".path") {
    out = r.path;
  } else if (rest == ".path.file") {
    out = pathFile(r.path);
  } else if (rest == ".path.dir") {
    out = pathDir(r.path);
  } else if (rest == ".query") {
    out = r.query;
  } else if (rest.starts_with(".query.")) {
    out = queryValue(r.query, rest.substr(7));
  } else if (rest == ".path.file.base" || rest == ".path.file.ext") {
    out = baseOrExt(r.path, rest.ends_with(".ext"));
  } else if (rest == ".prefixed_query") {
    out = prefixedQuery(r.query);
  } else if (rest.starts_with(".path.")) {
    return pathSegment(r.path, rest.substr(6), out);
  } else {
    return false;
  }
  return true;
}

// `rest`: what follows "orig_uri" in the key.
bool origUriPlaceholder(std::string_view rest, const runtime::Request& r, std::string& out) {
  if (rest.empty()) {
    out = r.origUri;
  } else if (rest == ".path") {
    out = origPath(r.origUri);
  } else if (rest == ".path.dir") {
    out = pathDir(origPath(r.origUri));
  } else if (rest == ".path.file") {
    out = pathFile(origPath(r.origUri));
  } else if (rest == ".query") {
    out = origQuery(r.origUri);
  } else if (rest == ".prefixed_query") {
    out = prefixedQuery(origQuery(r.origUri));
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool requestUriPlaceholder(std::string_view key, const runtime::Request& r, std::string& out) {
  if (key.starts_with("orig_uri")) {
    return origUriPlaceholder(key.substr(8), r, out);
  }
  if (key.starts_with("uri")) {
    return uriPlaceholder(key.substr(3), r, out);
  }
  return false;
}

}  // namespace gatehouse::router
