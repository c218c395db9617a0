// The proxy family of directives: one row per directive.
#include "gatehouse/parser/directive_table.h"

namespace gatehouse::parser {

const std::vector<DirectiveSpec>& proxyDirectiveSpecs() {
  static const std::vector<DirectiveSpec> kSpecs = {};
  return kSpecs;
}

}  // namespace gatehouse::parser
