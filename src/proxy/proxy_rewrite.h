#pragma once
// reverse_proxy's `rewrite` (forward_auth's `method GET` and `uri`): Caddy rewrites the
// proxied copy of the request, so the routes after the proxy still see the original.

#include <string>

#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::proxy {

// The method and request-target the upstream gets: `rewrite` (a rewrite handler) applied
// to the request, which is left as it was.
void rewriteForUpstream(const runtime::Handler& rewrite, runtime::Exchange& ex, std::string& method,
                        std::string& target);

}  // namespace gatehouse::proxy
