#pragma once
// The type checker: annotates every node with its static type and every call with the
// overloads it may dispatch to, refusing what cel-go's checker refuses in Caddy 2.6.2's
// environment ("undeclared reference", "found no matching overload") and what Gatehouse
// does not implement ("... is not supported yet"). Throws CelError.

#include "router/cel/ast.h"

namespace gatehouse::router::cel {

// Returns the type of the whole expression.
Type check(Node& root);

}  // namespace gatehouse::router::cel
