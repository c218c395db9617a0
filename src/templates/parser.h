#pragma once
// Go text/template's parser: tokens into the tree of ast.h, with Go's parse-time checks
// (functions must exist, variables must be declared, break/continue only in range).

#include <functional>
#include <string>
#include <string_view>

#include "templates/ast.h"

namespace gatehouse::templates {

struct Delims {
  std::string left = "{{";
  std::string right = "}}";
};

// Parses `text` as template `name` into `set`: the body under `name` (an empty body, only
// spaces and comments, does not replace an existing one, as Go's Parse), and the `define`d
// and `block` templates under theirs. Throws TemplateError.
void parseTemplate(TemplateSet& set, const std::string& name, std::string_view text,
                   const std::function<bool(std::string_view)>& isFunction, const Delims& delims = {});

}  // namespace gatehouse::templates
