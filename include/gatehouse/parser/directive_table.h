#pragma once
// The directive table: every Caddyfile directive Gatehouse knows, with its unmarshaller,
// and Caddy's default order of directives inside a route.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/parser/helper.h"

namespace gatehouse::parser {

// A general directive: reads its whole segment (cursor before the directive name) and
// returns any number of config values.
using DirectiveFn = std::vector<ConfigValue> (*)(Helper&);
// A handler directive: the optional matcher token was already extracted and deleted; the
// cursor is before the directive name; returns the one handler it configures.
using HandlerDirectiveFn = config::Handler (*)(Helper&);

struct DirectiveSpec {
  std::string_view name;
  DirectiveFn general = nullptr;
  HandlerDirectiveFn handler = nullptr;
};

// Each family of directives lists its specs (its "table rows") in a file of its own; the
// directive table joins them. A name may appear in one family only (a unit test checks).
const std::vector<DirectiveSpec>& builtinDirectiveSpecs();  // parser/directives/builtin_specs.cpp
const std::vector<DirectiveSpec>& handlerDirectiveSpecs();  // parser/directives/handler_specs.cpp
const std::vector<DirectiveSpec>& proxyDirectiveSpecs();    // parser/directives/proxy_specs.cpp
const std::vector<DirectiveSpec>& tlsDirectiveSpecs();      // parser/directives/tls_specs.cpp

// The spec for a directive name, or nullptr when unknown.
const DirectiveSpec* findDirective(std::string_view name);
// Every known directive name (for "did you mean" suggestions).
std::vector<std::string_view> directiveNames();
// Runs a directive's unmarshaller on a Helper positioned before the directive name.
std::vector<ConfigValue> runDirective(const DirectiveSpec& spec, Helper& h);

// Caddy's default directive order (defaultDirectiveOrder), which the `order` global option
// may adjust per adaptation.
const std::vector<std::string>& defaultDirectiveOrder();
// Maps deprecated names onto current ones ("basicauth" -> "basic_auth", "skip_log" -> "log_skip").
std::string normalizeDirectiveName(std::string_view name);

}  // namespace gatehouse::parser
