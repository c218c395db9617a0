#pragma once
// Loads a config file (Caddyfile or Caddy JSON) into the site graph, printing errors as
// "FILE:LINE:COL: message" (or "FILE: json.path: message").

#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/adapter.h"

namespace gatehouse::cli {

struct LoadedConfig {
  config::Config config;
  std::vector<parser::Warning> warnings;
  config::Json raw;  // a JSON config as given (with its @id members); null for a Caddyfile
};

// Prints adapter warnings to stderr as Caddy's logger does: one JSON line each, logger
// "caddyfile", with file and line when the warning has a position.
void printWarnings(const std::vector<parser::Warning>& warnings);

// adapter: "caddyfile", "json", or "" to choose by file name (".json" -> json). Prints the
// error to stderr and returns false on failure.
// A file that cannot be read prints "Error: <readContext>: open FILE: reason", caddy's words
// ("reading config file" for run/validate/reload, "reading input file" for adapt).
bool loadConfig(const std::string& path, const std::string& adapter, LoadedConfig& out,
                std::string_view readContext = "reading config file");

}  // namespace gatehouse::cli
