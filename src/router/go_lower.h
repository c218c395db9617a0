#pragma once
// Go's strings.ToLower: ASCII-only input is lowered byte by byte; any other input is decoded
// as UTF-8 (each invalid byte becomes U+FFFD, as strings.Map writes it) and every rune is
// mapped to its simple Unicode lower case. Caddy's path matcher lowers the request path and
// its patterns this way, so "/CAFÉ.TXT" matches "/café*".

#include <string>
#include <string_view>

namespace gatehouse::router {

[[nodiscard]] std::string goToLower(std::string_view s);

}  // namespace gatehouse::router
