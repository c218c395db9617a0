#pragma once
// Caddyfile structure: server blocks of segments, with imports, snippets and {$ENV}
// resolved, so directives never see them.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/parser/token.h"

namespace gatehouse::parser {

// One directive with its arguments and block, as tokens (the first token is its name).
using Segment = std::vector<Token>;

struct ServerBlock {
  std::vector<Token> keys;  // site addresses, or "&(name)" for a named route
  std::vector<Segment> segments;
  bool hasBraces = false;
  bool isNamedRoute = false;  // declared as &(name)
};

struct ParseOptions {
  // Reads an environment variable for {$VAR}; defaults to getenv. Tests inject their own.
  std::function<bool(const std::string& name, std::string& value)> getenv;
};

// Parses Caddyfile text. `filename` is used in token locations and to resolve relative
// imports (relative to the importing file's directory). Throws ConfigError.
std::vector<ServerBlock> parseCaddyfile(std::string_view text, const std::string& filename,
                                        const ParseOptions& options = {});

// Replaces {$VAR} and {$VAR:default} in text (parse-time environment variables).
std::string replaceEnvVars(std::string_view text, const ParseOptions& options);

}  // namespace gatehouse::parser
