#pragma once
// base64url without padding (RFC 4648 section 5, as RFC 7515 uses it).

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::acme {

std::string base64url(std::string_view bytes);
// Accepts input with or without '=' padding; nullopt on a character outside the alphabet.
std::optional<std::string> base64urlDecode(std::string_view text);
// Standard base64 with padding (PEM bodies).
std::string base64Std(std::string_view bytes);

}  // namespace gatehouse::acme
