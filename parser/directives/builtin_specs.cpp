// The builtin family of directives: one row per directive.
#include "directives/builtins.h"
#include "gatehouse/parser/directive_table.h"

namespace gatehouse::parser {

const std::vector<DirectiveSpec>& builtinDirectiveSpecs() {
  using namespace directives;
  static const std::vector<DirectiveSpec> kSpecs = {
      {"bind", &parseBind, nullptr},
      {"handle", nullptr, &parseHandle},
      {"handle_path", &parseHandlePath, nullptr},
      {"route", nullptr, &parseRoute},
      {"handle_errors", &parseHandleErrors, nullptr},
      {"invoke", nullptr, &parseInvoke},
      {"log", &parseLog, nullptr},
  };
  return kSpecs;
}

}  // namespace gatehouse::parser
