#pragma once
// JSON text as zap's encoder writes it: compact, strings escaped only where JSON requires
// (no \u003c for '<'), invalid UTF-8 replaced by U+FFFD, floats in plain decimal notation
// with the fewest digits that round-trip ("0.000012", never "1.2e-05").

#include <string>
#include <string_view>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::log {

// What encoding/json escapes beyond zap: <, > and & as \u003c... (`html`, json.Marshal) and
// U+2028/U+2029 (`lineSeparators`); templates' toJson writes encoding/json's text.
struct JsonEscapes {
  bool html = false;
  bool lineSeparators = false;
};

void appendJsonString(std::string& out, std::string_view s, JsonEscapes escapes = {});
void appendJsonNumber(std::string& out, double v);
// `spaced` writes ", " and ": " between elements, as zap's console encoder does.
void appendJson(std::string& out, const config::Json& v, bool spaced = false);

}  // namespace gatehouse::log
