#pragma once
// Request matchers in the Caddyfile: named definitions (@name ...) and inline matcher tokens
// ("*", "/path*", "@name"), producing Caddy's matcher-set JSON.

#include <optional>
#include <string>

#include "gatehouse/parser/dispenser.h"
#include "gatehouse/parser/helper.h"

namespace gatehouse::parser {

// Parses one named matcher definition segment ("@name args" or "@name { ... }"), with the
// cursor before "@name", and adds it to defs. Throws for duplicates and bad matchers.
void parseMatcherDefinition(Dispenser& d, MatcherDefs& defs);

// Interprets an inline matcher token. Returns false when the token is not a matcher. For "*"
// sets `out` to nullopt (match all); for "/path" a path matcher; for "@name" the definition
// (throws ConfigError when undefined).
bool matcherSetFromToken(const Token& token, const MatcherDefs& defs, std::optional<config::MatcherSet>& out);

// Parses the body of one matcher module by its Caddyfile name (path, host, header, not ...),
// with the dispenser positioned on the matcher name; merges into `set` as Caddy does when the
// same matcher appears twice in one definition. `definitionName` ("@name") is the default
// name of regexp and expression matchers, as in a named definition; empty inside `not`.
void parseMatcherModule(const std::string& name, Dispenser& d, config::MatcherSet& set,
                        const std::string& definitionName = "");

// Parses a response matcher definition (used by reverse_proxy's handle_response / @name
// response matchers, intercept, and encode's `match` block): `status <codes...>` and
// `header <field> [<value>]` lines, in the block or on the line of the token that names the
// matcher ("@name", or encode's "match"). The cursor is on that token, or before it in a
// dispenser fresh from the segment. Returns Caddy's ResponseMatcher JSON
// ({"status_code": [...], "headers": {...}}, each omitted when empty).
config::Json parseResponseMatcher(Dispenser& d);

}  // namespace gatehouse::parser
