#pragma once
// Caddy's additions to CEL: the placeholder function (`{a.b}` becomes
// caddyPlaceholder(request, "a.b")) with the value types Caddy's replacer returns, and the
// matcher functions, which run Gatehouse's own matchers (src/router/*_matchers.cpp).

#include <memory>
#include <span>
#include <string>

#include "gatehouse/runtime/exchange.h"
#include "gatehouse/runtime/handler.h"
#include "router/cel/ast.h"

namespace gatehouse::router::cel {

// A matcher function's matcher, built at provision time when its arguments are constant;
// with placeholders in them it is built per evaluation, as Caddy does.
struct MatcherCall {
  std::unique_ptr<runtime::Matcher> matcher;
};

// After checking: builds constant matchers, precompiles constant matches() patterns and
// records placeholder types. Throws provision::ProvisionError naming `path` for a matcher
// Caddy would refuse at provision time, CelError for a bad constant pattern.
void compileCaddyFunctions(Node& root, const std::string& path);

Value evalMatcherCall(const Node& call, std::span<const Value> args, runtime::Exchange& ex);
Value placeholderValue(const Node& call, const Value& key, const runtime::Exchange& ex);

}  // namespace gatehouse::router::cel
