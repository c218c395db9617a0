#pragma once
// copy_response and copy_response_headers: handlers that only work inside reverse_proxy's
// handle_response routes, on the upstream response those routes are handling
// (proxy/response_routes.h). Elsewhere they fail with 500, as Caddy's do.

#include <memory>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

// {"status_code": 201 | "201" | "{placeholder}"}: answers with the upstream response.
std::unique_ptr<runtime::Handler> makeCopyResponse(const config::Handler& h, const std::string& path);
// {"include": [...]} or {"exclude": [...]}: adds the upstream's fields to the response.
std::unique_ptr<runtime::Handler> makeCopyResponseHeaders(const config::Handler& h, const std::string& path);

}  // namespace gatehouse::handlers
