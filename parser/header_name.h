#pragma once
// Header field names as Go's net/http keys them (textproto.CanonicalMIMEHeaderKey): Caddy's
// JSON carries canonical names, so every directive and matcher that writes one uses this.

#include <string>

namespace gatehouse::parser {

// "x-forwarded-for" -> "X-Forwarded-For"; a name with a byte that is not a token character
// is returned unchanged, as Go does.
std::string canonicalHeaderKey(const std::string& key);

}  // namespace gatehouse::parser
