#pragma once
// The step that reads the request body before a handler whose config names
// {http.request.body} (router/body_capture.h): Caddy reads it synchronously while the
// placeholder renders; Gatehouse pauses the chain here until the bytes are in.

#include <memory>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

// Whether handler `h` renders {http.request.body} anywhere in its config (a subroute's own
// routes get their steps when they are compiled).
[[nodiscard]] bool handlerReadsBodyPlaceholder(const config::Handler& h);

// Whether a route's matcher sets name it (an expression, a header matcher's value).
[[nodiscard]] bool matchersReadBodyPlaceholder(const std::vector<config::MatcherSet>& sets);

std::unique_ptr<runtime::Handler> makeBodyCapture();

}  // namespace gatehouse::handlers
