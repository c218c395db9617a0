#pragma once
// Macro expansion, called by the parser for every call it reads: CEL's has(), all(),
// exists(), exists_one(), map(), filter(), and the matcher functions Caddy 2.6.2 registers
// as macros (host, path, path_regexp, method, query, header, header_regexp, protocol,
// remote_ip, file), whose arguments must be string expressions (literals, placeholders or
// their concatenations) or, for header/query/file, a map literal of them.

#include <string>
#include <vector>

#include "router/cel/ast.h"

namespace gatehouse::router::cel {

NodePtr makeCallNode(std::string name, size_t offset, std::vector<NodePtr> args);
// `name(args)`; `offset` is that of the '('.
NodePtr expandGlobal(std::string name, size_t offset, std::vector<NodePtr> args);
// `target.name(args)`.
NodePtr expandReceiver(std::string name, size_t offset, NodePtr target, std::vector<NodePtr> args);

// The name of Caddy's placeholder function (`{a.b}` is rewritten to
// `caddyPlaceholder(request, "a.b")`) and of the request variable.
inline constexpr std::string_view kPlaceholderFunction = "caddyPlaceholder";
inline constexpr std::string_view kRequestVariable = "request";

}  // namespace gatehouse::router::cel
