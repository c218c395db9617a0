// The proxy family of directives: one row per directive.
#include "directives/reverse_proxy.h"
#include "gatehouse/parser/directive_table.h"

namespace gatehouse::parser {

const std::vector<DirectiveSpec>& proxyDirectiveSpecs() {
  static const std::vector<DirectiveSpec> kSpecs = {
      {"reverse_proxy", nullptr, &proxy::parseReverseProxy},
      {"copy_response", nullptr, &proxy::parseCopyResponse},
      {"copy_response_headers", nullptr, &proxy::parseCopyResponseHeaders},
      {"intercept", nullptr, &proxy::parseIntercept},
      // these expand into several routes (or a wrapped subroute) themselves
      {"php_fastcgi", &proxy::parsePhpFastcgi, nullptr},
      {"forward_auth", &proxy::parseForwardAuth, nullptr},
  };
  return kSpecs;
}

}  // namespace gatehouse::parser
