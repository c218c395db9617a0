#pragma once
// The YAML subset front matter uses, parsed as gopkg.in/yaml.v3 gives it to caddy 2.6.2's
// splitFrontMatter: nested block maps and lists (lists of maps too), inline lists, literal
// and folded block scalars, scalars typed as YAML resolves them (int, float, bool, null,
// dates as time.Time, strings), flow collections ({a: 1, b: [x]}), anchors and aliases.

#include <string>

#include "templates/value.h"

namespace gatehouse::templates {

// `scalar` types one plain or quoted value (shared with the TOML reader).
Value parseYamlFrontMatter(const std::string& text, Value (*scalar)(const std::string&, bool));

}  // namespace gatehouse::templates
