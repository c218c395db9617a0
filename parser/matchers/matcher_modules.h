#pragma once
// The request matcher modules of the Caddyfile (Caddy's http.matchers.* UnmarshalCaddyfile),
// one parser per module, and the helpers they share. Internal to parser/matchers/.
//
// Every module parser has Caddy's shape: it loops `while (d.next())` over one or more
// segments of its own name (Caddy concatenates the segments of a matcher used twice in one
// definition) and merges them into `value`, which is null the first time. Keeping that shape
// keeps Caddy's merging rules: lists append, maps add keys, a second regexp is an error.

#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/dispenser.h"
#include "header_name.h"

namespace gatehouse::parser::matchers {

using config::Json;

// What a module may know of the definition it is part of (Caddy's dispenser context).
struct MatcherContext {
  // The definition's name without "@"; regexp and expression matchers take it as their
  // default name. Empty inside `not`, whose nested matchers get no context in Caddy.
  std::string name;
};

using ModuleParser = void (*)(Dispenser& d, const MatcherContext& ctx, Json& value);

// The parser of the module registered as http.matchers.<name>, or nullptr.
ModuleParser findModuleParser(const std::string& name);

// Parses `tokens` (all segments of module `name`, concatenated) into set[name]. Throws
// "getting matcher module '<name>': module not registered: http.matchers.<name>" for an
// unknown module, positioned at its first token.
void applyModule(const std::string& name, std::vector<Token> tokens, const MatcherContext& ctx, Json& set);

// Reads matcher lines from the cursor (`d.nextArg() || d.nextBlock(nesting)`), concatenating
// the segments of each module name in order of first appearance (Caddy's tokensByMatcherName).
std::vector<std::pair<std::string, std::vector<Token>>> collectModuleSegments(Dispenser& d);

// ---- module parsers ----
void parseHostMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parsePathMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseMethodMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parsePathRegexpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseHeaderMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseHeaderRegexpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseQueryMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseProtocolMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseTlsMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseRemoteIpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseClientIpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseNotMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseVarsMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseVarsRegexpMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseFileMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseExpressionMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);
void parseUrlPatternMatcher(Dispenser& d, const MatcherContext& ctx, Json& value);

// ---- shared helpers ----

// Caddy's Dispenser.Args: fills `targets` from the next arguments on the line; false (with
// the targets filled so far) when the line runs out first.
bool takeArgs(Dispenser& d, std::vector<std::string*> targets);

// Appends `items` to the JSON array `list` (null counts as empty).
void appendStrings(Json& list, const std::vector<std::string>& items);

// Re-inserts the keys of a JSON object in byte order, as Go's encoder writes map keys.
void sortKeys(Json& object);

// Caddy's MatchRegexp JSON: {"name": ... (omitted when empty), "pattern": ...}.
Json regexpJson(const std::string& name, const std::string& pattern);

// The token as Caddy's Dispenser.ValRaw gives it: quoted tokens keep their quote characters.
std::string rawText(const Token& token);

// The `[<name>] <field> <pattern>` arguments of header_regexp and vars_regexp; the name
// defaults to the matcher definition's.
struct RegexpArgs {
  std::string name;
  std::string field;
  std::string pattern;
};
RegexpArgs readRegexpArgs(Dispenser& d, const MatcherContext& ctx);

}  // namespace gatehouse::parser::matchers
