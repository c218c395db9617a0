// TEMPORARY placeholder until the adapter lands (same session).
#include "gatehouse/parser/adapter.h"
namespace gatehouse::parser {
std::string Warning::str() const { return loc.str() + ": " + message; }
AdaptResult adaptCaddyfile(std::string_view, const std::string& filename, const ParseOptions&) {
  throw ConfigError(Location{filename, 1, 1, {}}, "adapter not built yet");
}
}  // namespace gatehouse::parser
