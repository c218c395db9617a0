#pragma once
// Caddy's template context (http.handlers.templates in 2.6.2): the dot value (.Req,
// .OriginalReq, .Args, .RespHeader, .Cookie, .RemoteIP, .Host) and Caddy's functions
// (include, import, httpInclude, listFiles, fileExists, env, placeholder, httpError,
// humanize, stripHTML, markdown, splitFrontMatter) over the Go and Sprig functions.

#include <functional>
#include <string>

#include "gatehouse/runtime/exchange.h"
#include "templates/executor.h"
#include "templates/parser.h"

namespace gatehouse::templates {

struct CaddyTemplateEnv {
  runtime::Exchange* ex = nullptr;
  std::string fileRoot;  // resolved directory for include/import/listFiles/fileExists
  Delims delims;
  // A virtual GET of `uri` through the same server (httpInclude), sent with
  // `Caddy-Templates-Include: level`: its status and body. Null when there is no server.
  std::function<std::pair<int, std::string>(const std::string& uri, int level)> subrequest;
};

// Executes `body` as template `name` (the request path, or the included file's name) the
// way Caddy's executeTemplateInBuffer does. Throws TemplateError / HttpStatusError.
// `extra` (file_server browse's listing context) is consulted before Caddy's fields.
std::string executeCaddyTemplate(const CaddyTemplateEnv& env, const std::string& name,
                                 const std::string& body, List args = {},
                                 std::shared_ptr<Object> extra = nullptr);

// The Go builtins and Sprig functions, built once.
const FuncMap& baseFunctions();

// Pieces exposed for tests.
std::string stripHtml(const std::string& s);
std::string humanizeBytes(uint64_t n);
// Caddy's extractFrontMatter: the metadata (YAML, TOML or JSON) and the body.
std::pair<Value, std::string> splitFrontMatter(const std::string& input);
// splitFrontMatter's result: Caddy's parsedMarkdownDoc struct with .Meta and .Body.
Value makeFrontMatterDoc(Value meta, std::string body);
std::string renderMarkdown(const std::string& input);

}  // namespace gatehouse::templates
