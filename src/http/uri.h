#pragma once
// Request-target parsing and path helpers with Go's net/url semantics, so matching and file
// lookup see the same path Caddy does.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

// Decodes %XX escapes; nullopt on a malformed escape (Go rejects those with 400).
std::optional<std::string> percentDecode(std::string_view in);
// Escapes what Go's URL.EscapedPath would for a decoded path.
std::string escapePath(std::string_view path);
// Go's escape(path, encodePath), as url.URL{Path: p}.String() writes a path it did not
// receive: `!'()*` are escaped too.
std::string goEscapePath(std::string_view path);
// Go's URL.EscapedPath for Path `path` and RawPath `raw`: `raw` when it is a valid escaped
// form that decodes to `path`, else `path` escaped afresh (goEscapePath).
std::string goEscapedPath(const std::string& path, const std::string& raw);
// Go's path.Clean ("/a//b/../c" -> "/a/c"), keeping a trailing slash as Caddy does.
std::string cleanPath(std::string_view path);
// Fills method-independent target fields (path, rawPath, query, host for absolute-form).
// Accepts origin-form, absolute-form (http/https) and "*". Returns false on a bad target.
bool parseTarget(std::string_view target, runtime::Request& req);
// The host of "host:port" without the port, IPv6 brackets removed; the whole input when it
// carries no port (Go's net.SplitHostPort, falling back to the input as Caddy does).
std::string_view hostWithoutPort(std::string_view hostport);
// Go's url.QueryEscape and url.QueryUnescape (a malformed escape leaves the text as it is).
std::string queryEscape(std::string_view s);
std::string queryUnescape(std::string_view s);
// Go's url.ParseQuery: the decoded (key, value) pairs in order; a pair with a ';' or a
// malformed escape is left out, and then the answer is false (Go's error), as
// URL.Query() keeps the rest and Caddy's query matcher refuses the request.
using QueryPairs = std::vector<std::pair<std::string, std::string>>;
bool parseGoQuery(std::string_view query, QueryPairs& out);

}  // namespace gatehouse::http
