#include "router/go_atoi.h"

#include <array>
#include <cstdio>

namespace gatehouse::router {

AtoiError goAtoi(std::string_view s, int64_t& out) {
  const bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    s.remove_prefix(1);
  }
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return AtoiError::Syntax;
  }
  const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0);
  uint64_t v = 0;
  for (char c : s) {
    const auto digit = static_cast<uint64_t>(c - '0');
    if (v > (limit - digit) / 10) {
      return AtoiError::Range;
    }
    v = v * 10 + digit;
  }
  out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return AtoiError::None;
}

std::string goAtoiMessage(std::string_view s, AtoiError e) {
  // strconv.Quote: '"' and '\' escaped, control bytes as \xNN (enough for a status text)
  std::string quoted = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (u < 0x20 || u == 0x7f) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\x%02x", u);
      quoted += buf.data();
    } else {
      quoted += c;
    }
  }
  quoted += '"';
  return "strconv.Atoi: parsing " + quoted + ": " +
         (e == AtoiError::Range ? "value out of range" : "invalid syntax");
}

}  // namespace gatehouse::router
