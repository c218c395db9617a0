#pragma once
// UTF-8 encoding of one code point, shared by the Caddyfile formatter and the CEL and
// template lexers (each decodes escapes such as \u00e9 into UTF-8 text), and Go's test of
// one encoded rune (utf8.DecodeRuneInString's idea of valid).

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse {

// Appends the UTF-8 bytes of `cp`; callers check the range they accept.
inline void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not one (an
// overlong form, a surrogate, past U+10FFFF or cut short), as Go's decoder judges it.
inline size_t validUtf8Length(std::string_view s) {
  if (s.empty()) {
    return 0;
  }
  const auto c = static_cast<unsigned char>(s[0]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || n > s.size()) {
    return 0;
  }
  for (size_t i = 1; i < n; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  const auto c1 = static_cast<unsigned char>(n > 1 ? s[1] : 0);
  if ((n == 2 && c < 0xC2) || (n == 3 && c == 0xE0 && c1 < 0xA0) || (n == 3 && c == 0xED && c1 >= 0xA0) ||
      (n == 4 && c == 0xF0 && c1 < 0x90) || (n == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))) {
    return 0;
  }
  return n;
}

}  // namespace gatehouse
