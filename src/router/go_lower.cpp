#include "router/go_lower.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <cstdint>

namespace gatehouse::router {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// One rune of `s` from `i` as Go's utf8.DecodeRuneInString reads it: overlong forms,
// surrogates and values past U+10FFFF are invalid and take one byte.
char32_t decodeRune(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t len = b0 < 0xC2 ? 0 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : b0 < 0xF5 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return kReplacement;
  }
  char32_t r = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    // the second byte's range narrows for E0, ED, F0 and F4 (overlong, surrogate, too large)
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (k == 1) {
      lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
      hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
    }
    if (b < lo || b > hi) {
      ++i;
      return kReplacement;
    }
    r = (r << 6) | (b & 0x3F);
  }
  i += len;
  return r;
}

void appendRune(std::string& out, char32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// glibc's C.UTF-8 tables give Unicode's simple lower-case mapping, as Go's unicode.ToLower.
// Created once and never changed: read-only shared state.
locale_t utf8Locale() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

}  // namespace

std::string goToLower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  if (std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    for (char c : s) {
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
  }
  const locale_t loc = utf8Locale();
  for (size_t i = 0; i < s.size();) {
    char32_t r = decodeRune(s, i);
    if (loc != static_cast<locale_t>(nullptr)) {
      r = static_cast<char32_t>(towlower_l(static_cast<wint_t>(r), loc));
    } else if (r >= 'A' && r <= 'Z') {
      r = r - 'A' + 'a';  // no UTF-8 locale on this system: ASCII at least
    }
    appendRune(out, r);
  }
  return out;
}

}  // namespace gatehouse::router
