#pragma once
// Executes a parsed template set (Go's Template.Execute): walks the tree with a dot value
// and variables, calling functions from a FuncMap; and/or evaluate lazily as in Go 1.18+.

#include <functional>
#include <map>
#include <string>

#include "templates/ast.h"

namespace gatehouse::templates {

using Function = std::function<Value(Args&)>;
using FuncMap = std::map<std::string, Function, std::less<>>;

// Go's builtin functions (and, or, not, len, index, slice, print, printf, println, eq, ne,
// lt, le, gt, ge, html, js, urlquery, call) are added by builtins.cpp; `and`/`or` are
// evaluated by the executor itself since they short-circuit.
void addGoBuiltins(FuncMap& funcs);

// Writes template `name` of `set` executed with `dot` to `out`. Throws TemplateError
// ("template: NAME:LINE: executing ..."), or HttpStatusError as is.
void executeTemplate(const TemplateSet& set, const FuncMap& funcs, const std::string& name, const Value& dot,
                     std::string& out);

}  // namespace gatehouse::templates
