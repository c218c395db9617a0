// file_server's canonical-URI redirects: a directory (its index file, or its listing) is
// named with a trailing '/', a file without one. A 308 as Go's http.Redirect writes it.

#include "handlers/file_server.h"
#include "http/exchange_notes.h"
#include "http/uri.h"

namespace gatehouse::handlers {

using runtime::Exchange;
using runtime::Outcome;

namespace {

// path.Base without its trailing slashes.
std::string_view lastElement(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') {
    p.remove_suffix(1);
  }
  const size_t s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

// The path the client asked for, decoded when it decodes.
std::string requestedPath(const Exchange& ex) {
  std::string origPath = ex.request.origUri.substr(0, ex.request.origUri.find('?'));
  if (auto decoded = http::percentDecode(origPath)) {
    origPath = std::move(*decoded);
  }
  return origPath;
}

// A listing whose path a prefix strip emptied (`handle_path /files*` asked for "/files")
// redirects as Caddy's browse does (#4466): its relative links need the client's '/'. Only
// listings ask; an index file keeps the last-element rule.
bool wholePathStripped(const Exchange& ex) {
  return ex.request.path == "/" && http::pathStrippedEmpty(ex);
}

}  // namespace

// The client's path with its trailing '/' added (`wantSlash`) or dropped, when it lacks or has
// one; nothing when the last path element was rewritten (Caddy #4205).
std::optional<std::string> FileServer::slashRedirectTarget(const Exchange& ex, bool wantSlash, bool listing) {
  const std::string origPath = requestedPath(ex);
  // An emptied path (2.6.2's "", anchored here as "/") has Go's path.Base ".": an index
  // file reached by `/p/.` under handle_path /p* redirects to "/p/" as in 2.6.2.
  const bool emptied = wholePathStripped(ex);
  const std::string_view current = emptied ? std::string_view(".") : lastElement(ex.request.path);
  if (lastElement(origPath) != current && !(listing && emptied)) {
    return std::nullopt;
  }
  if (wantSlash && !origPath.ends_with("/")) {
    return origPath + "/";
  }
  if (!wantSlash && origPath.ends_with("/")) {
    return origPath.substr(0, origPath.size() - 1);
  }
  return std::nullopt;
}

// A file reached through a directory's index wants the '/', any other file none.
std::optional<std::string> FileServer::canonicalTarget(const Exchange& ex, bool implicitIndex) const {
  if (!canonicalUris) {
    return std::nullopt;
  }
  return slashRedirectTarget(ex, implicitIndex);
}

Outcome FileServer::redirect(Exchange& ex, std::string to) {
  // Go's http.Redirect cleans a path-only target ("/idx/." -> "/idx/"), trailing '/' kept.
  to = http::cleanPath(to);
  while (to.starts_with("//")) {
    to.erase(0, 1);
  }
  std::string location = http::escapePath(to);
  // As Caddy: the query goes along only when it has something ("/d?" -> "/d/", Go's empty RawQuery).
  if (!ex.request.query.empty()) {
    location += "?" + ex.request.query;
  }
  ex.response.headers.set("Location", location);
  // Go's http.Redirect: a Content-Type for GET and HEAD, the link body for GET only (so a
  // HEAD answer carries no Content-Length either).
  std::string body;
  if (ex.request.method == "GET" || ex.request.method == "HEAD") {
    ex.response.headers.set("Content-Type", "text/html; charset=utf-8");
  }
  if (ex.request.method == "GET") {
    body = "<a href=\"" + location + "\">Permanent Redirect</a>.\n\n";
  }
  return ex.respond(308, std::move(body));
}

}  // namespace gatehouse::handlers
