#pragma once
// Standard base64 (RFC 4648 section 4, padded), strict as Go's base64.StdEncoding: used
// for Authorization: Basic credentials and legacy base64-wrapped password hashes.

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::handlers {

// Decodes padded standard base64; nullopt on any invalid character, length or padding.
// As Go's decoder, '\r' and '\n' anywhere in the input are skipped.
std::optional<std::string> base64Decode(std::string_view in);
std::string base64Encode(std::string_view in);

}  // namespace gatehouse::handlers
