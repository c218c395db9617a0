// The handler family of directives: one row per directive.
#include "directives/handler_directives.h"
#include "gatehouse/parser/directive_table.h"

namespace gatehouse::parser {

const std::vector<DirectiveSpec>& handlerDirectiveSpecs() {
  static const std::vector<DirectiveSpec> kSpecs = {
      // general directives: they read their own matcher and may return several values
      {"header", &parseHeader, nullptr},
      {"request_header", &parseRequestHeader, nullptr},
      {"rewrite", &parseRewrite, nullptr},
      {"root", &parseRoot, nullptr},
      {"try_files", &parseTryFiles, nullptr},
      {"acme_server", &parseAcmeServer, nullptr},
      // handler directives: the adapter extracts the matcher and wraps the handler in a route
      {"respond", nullptr, &parseRespond},
      {"redir", nullptr, &parseRedir},
      {"error", nullptr, &parseError},
      {"abort", nullptr, &parseAbort},
      {"uri", nullptr, &parseUri},
      {"method", nullptr, &parseMethod},
      {"vars", nullptr, &parseVars},
      {"map", nullptr, &parseMap},
      {"encode", nullptr, &parseEncode},
      {"file_server", nullptr, &parseFileServer},
      {"templates", nullptr, &parseTemplates},
      {"basic_auth", nullptr, &parseBasicAuth},
      {"basicauth", nullptr, &parseBasicAuth},  // deprecated name of basic_auth
      {"request_body", nullptr, &parseRequestBody},
      {"push", nullptr, &parsePush},
      {"tracing", nullptr, &parseTracing},
      {"metrics", nullptr, &parseMetrics},
      {"fs", nullptr, &parseFs},
      {"log_skip", nullptr, &parseLogSkip},
      {"skip_log", nullptr, &parseLogSkip},  // deprecated name of log_skip
      {"log_name", nullptr, &parseLogName},
      {"log_append", nullptr, &parseLogAppend},
  };
  return kSpecs;
}

}  // namespace gatehouse::parser
