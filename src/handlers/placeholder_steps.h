#pragma once
// Steps the chain runs before a handler, or a route's matchers, whose config names a
// placeholder that needs request state first: {http.request.body} (the body, read
// asynchronously; handlers/body_capture_handler.h) and {http.request.uuid} (made once per
// request; handlers/request_uuid.h). Inserted at provision time, so a config that names
// neither pays nothing per request.

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

using HandlerList = std::vector<std::unique_ptr<runtime::Handler>>;

// Before handler `h` (a subroute's own routes get theirs when they are compiled).
[[nodiscard]] HandlerList stepsBeforeHandler(const config::Handler& h);
// Before a route's matcher sets (an expression names a placeholder as
// caddyPlaceholder(request, "http.request.body")).
[[nodiscard]] HandlerList stepsBeforeMatchers(const std::vector<config::MatcherSet>& sets);

}  // namespace gatehouse::handlers
