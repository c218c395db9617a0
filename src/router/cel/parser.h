#pragma once
// CEL's grammar (langdef.md "Syntax") to an AST, with the standard macros and Caddy's
// matcher macros expanded. Throws CelError (lexer.h) with the offending offset.

#include <string_view>

#include "router/cel/ast.h"

namespace gatehouse::router::cel {

NodePtr parse(std::string_view expression);

}  // namespace gatehouse::router::cel
