#pragma once
// Caddyfile -> site graph. The entry point of parser/.

#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/caddyfile.h"
#include "gatehouse/parser/config_error.h"

namespace gatehouse::parser {

struct Warning {
  Location loc;
  std::string directive;
  std::string message;
  [[nodiscard]] std::string str() const;
};

struct AdaptResult {
  config::Config config;
  std::vector<Warning> warnings;
};

// Adapts Caddyfile text. `filename` names the file in errors and anchors relative imports.
// Throws ConfigError with the position of the offending token.
AdaptResult adaptCaddyfile(std::string_view text, const std::string& filename,
                           const ParseOptions& options = {});

}  // namespace gatehouse::parser
