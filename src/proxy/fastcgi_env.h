#pragma once
// The CGI/1.1 environment (FastCGI PARAMS) for one request, built as Caddy 2.6's fastcgi
// transport builds it: SCRIPT_FILENAME / SCRIPT_NAME / PATH_INFO from split_path (or the
// file matcher's remainder), DOCUMENT_ROOT from `root` (made absolute, symlinks resolved
// on request), REQUEST_URI from the original request, SERVER_* and REMOTE_* from the
// connection, HTTPS and SSL_* on TLS, the transport's `env` entries, then every request
// field as HTTP_*, and last the method's CONTENT_LENGTH / CONTENT_TYPE rules of Caddy's
// FastCGI client (HEAD and OPTIONS send no body; other methods but GET default the type).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "proxy/fastcgi_transport.h"
#include "proxy/proxy_rewrite.h"

namespace gatehouse::proxy {

using CgiEnv = std::map<std::string, std::string>;

// `fields` are the request's fields as forwarded (hop-by-hop removed, X-Forwarded-*,
// header_up applied; their Host is the request's host). `rewritten` (reverse_proxy's
// `rewrite`, null without one) gives the method, path and query the upstream gets, as
// Caddy's transport reads them from its rewritten copy of the request: REQUEST_METHOD,
// QUERY_STRING, SCRIPT_NAME, PATH_INFO, DOCUMENT_URI and CONTENT_LENGTH follow it, while
// REQUEST_URI and the placeholders of `root` and `env` keep the request as it came. False
// with `error` when the root cannot be made absolute or resolved.
bool buildCgiEnv(const FastCgiTransport& t, const runtime::Exchange& ex, const runtime::HeaderList& fields,
                 CgiEnv& env, std::string& error, const RewrittenRequest* rewritten = nullptr);

// Whether Caddy's client sends the request body for `method` (not for HEAD and OPTIONS).
bool fastCgiSendsBody(std::string_view method);

// Where split_path cuts `path` (after the first listed extension found, compared without
// case), -1 when none is found, 0 when split_path is empty.
long splitPosition(const std::vector<std::string>& splitPath, std::string_view path);

// Caddy's SanitizedPathJoin: `root` joined with the cleaned `reqPath`, a trailing slash kept.
std::string sanitizedPathJoin(const std::string& root, std::string_view reqPath);

}  // namespace gatehouse::proxy
