#pragma once
// templates (Caddy's http.handlers.templates): executes the response body as a Go
// template when its Content-Type is one of `mime_types`. Installed as a response filter:
// the rest of the chain answers first; a streamed body (a file, a proxied response) is
// buffered without blocking the loop, then executed.

#include <memory>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

std::unique_ptr<runtime::Handler> makeTemplates(const config::Handler& h, const std::string& path);

}  // namespace gatehouse::handlers
