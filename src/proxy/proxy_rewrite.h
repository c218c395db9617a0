#pragma once
// reverse_proxy's `rewrite` (forward_auth's `method GET` and `uri`): Caddy rewrites the
// proxied copy of the request, so the routes after the proxy still see the original.

#include <string>

#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::proxy {

// The request line the upstream gets after `rewrite`.
struct RewrittenRequest {
  std::string method;
  std::string path;    // decoded, as Go's URL.Path
  std::string query;   // raw, as Go's URL.RawQuery
  std::string target;  // the request-target: escaped path and query
  // Rewritten to GET or HEAD with a change: Caddy sends no body (ContentLength 0); it stays
  // for the handlers after the proxy.
  bool bodyDropped = false;
};

// `rewrite` (a rewrite handler) applied to the request, which is left as it was.
RewrittenRequest rewriteForUpstream(const runtime::Handler& rewrite, runtime::Exchange& ex);

}  // namespace gatehouse::proxy
