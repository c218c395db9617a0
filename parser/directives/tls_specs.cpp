// The tls family of directives: one row per directive.
#include "directives/tls_directive.h"
#include "gatehouse/parser/directive_table.h"

namespace gatehouse::parser {

const std::vector<DirectiveSpec>& tlsDirectiveSpecs() {
  static const std::vector<DirectiveSpec> kSpecs = {
      {"tls", &tls::parseTls, nullptr},
  };
  return kSpecs;
}

}  // namespace gatehouse::parser
