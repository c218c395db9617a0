#pragma once
// Go's strconv.Atoi, for the placeholders and handlers whose behaviour follows it: Caddy
// reads indexes ({path.N}), ports and status codes with it, and prints its error.

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::router {

enum class AtoiError { None, Syntax, Range };

// An optional '+' or '-', then decimal digits, within Go's 64-bit int.
AtoiError goAtoi(std::string_view s, int64_t& out);

// The error Go prints: `strconv.Atoi: parsing "abc": invalid syntax`.
[[nodiscard]] std::string goAtoiMessage(std::string_view s, AtoiError e);

}  // namespace gatehouse::router
