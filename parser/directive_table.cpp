// The directive table: joins the four family lists, runs unmarshallers, and holds Caddy's
// default order of directives inside a route.

#include "gatehouse/parser/directive_table.h"

#include <map>

namespace gatehouse::parser {
namespace {

using Index = std::map<std::string_view, const DirectiveSpec*>;

// Built once; a name in two families is a programming error the unit test reports, and
// the first family listed wins here.
const Index& index() {
  static const Index kIndex = [] {
    Index idx;
    for (const auto* family :
         {&builtinDirectiveSpecs(), &handlerDirectiveSpecs(), &proxyDirectiveSpecs(), &tlsDirectiveSpecs()}) {
      for (const auto& spec : *family) {
        idx.emplace(spec.name, &spec);
      }
    }
    return idx;
  }();
  return kIndex;
}

// Caddy's RegisterHandlerDirective wrapper: step onto the name, pull out the optional
// matcher token, run the handler parser, and wrap its handler in a route.
std::vector<ConfigValue> runHandlerDirective(const DirectiveSpec& spec, Helper& h) {
  if (!h.next()) {
    throw h.argErr();
  }
  std::optional<config::MatcherSet> matcherSet = h.extractMatcherSet();
  config::Handler handler = spec.handler(h);
  return h.newRoute(matcherSet, std::move(handler));
}

}  // namespace

const DirectiveSpec* findDirective(std::string_view name) {
  const auto& idx = index();
  auto it = idx.find(name);
  return it == idx.end() ? nullptr : it->second;
}

std::vector<std::string_view> directiveNames() {
  std::vector<std::string_view> names;
  for (const auto& [name, spec] : index()) {
    names.push_back(name);
  }
  return names;
}

std::vector<ConfigValue> runDirective(const DirectiveSpec& spec, Helper& h) {
  if (spec.handler != nullptr) {
    return runHandlerDirective(spec, h);
  }
  if (spec.general != nullptr) {
    return spec.general(h);
  }
  return {};
}

const std::vector<std::string>& defaultDirectiveOrder() {
  // The position is the execution order inside a route. Settings that others read come
  // first (root before anything that tests files), header before redir so headers apply
  // to redirects, responders last because they end the chain.
  static const std::vector<std::string> kOrder = {
      "tracing",
      // variables that later directives may read
      "map",
      "vars",
      "fs",
      "root",
      "log_append",
      "skip_log",
      "log_skip",
      "log_name",
      "header",
      "copy_response_headers",
      "request_body",
      "redir",
      // incoming request manipulation
      "method",
      "rewrite",
      "uri",
      "try_files",
      // middleware; some wrap the response
      "basicauth",
      "basic_auth",
      "forward_auth",
      "request_header",
      "encode",
      "push",
      "intercept",
      "templates",
      // routing and dispatching
      "invoke",
      "handle",
      "handle_path",
      "route",
      // handlers that usually write the response
      "abort",
      "error",
      "copy_response",
      "respond",
      "metrics",
      "reverse_proxy",
      "php_fastcgi",
      "file_server",
      "acme_server",
  };
  return kOrder;
}

std::string normalizeDirectiveName(std::string_view name) {
  // handle_path sorts and groups with handle (they are mutually exclusive siblings).
  if (name == "handle_path") {
    return "handle";
  }
  return std::string(name);
}

}  // namespace gatehouse::parser
