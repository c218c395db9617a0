#pragma once
// Caddy's `expression` request matcher (http.matchers.expression): a CEL expression,
// compiled once at provision time, evaluated per request.

#include <memory>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/handler.h"

namespace gatehouse::router::cel {

// `value` is the expression string or {"expr": ..., "name": ...}. Throws
// provision::ProvisionError naming `path` and the position in the expression.
std::unique_ptr<runtime::Matcher> makeExpressionMatcher(const config::Json& value, const std::string& path);

// Caddy's placeholder shorthand: `{a.b}` becomes `caddyPlaceholder(request, "a.b")`.
std::string expandPlaceholders(const std::string& expr);

}  // namespace gatehouse::router::cel
