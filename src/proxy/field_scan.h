#pragma once
// Field values scanned 16 bytes at a time (SSE2 where there is one): every proxied
// request's fields are checked, and a byte loop cost ~8 instructions a byte.

#include <string_view>

namespace gatehouse::proxy {

// Past the bytes a field value may hold as they are (HTAB, space, visible ASCII,
// obs-text): the first control byte other than HTAB, or DEL, or `end`.
const char* skipValue(const char* p, const char* end);

// No byte of `v` could end or split a header line.
inline bool plainFieldValue(std::string_view v) {
  return skipValue(v.data(), v.data() + v.size()) == v.data() + v.size();
}

}  // namespace gatehouse::proxy
