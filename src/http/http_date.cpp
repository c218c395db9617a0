#include "http/http_date.h"

#include <array>
#include <cstring>

namespace gatehouse::http {

std::string formatHttpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> buf{};
  size_t n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf.data(), n);
}

std::optional<std::time_t> parseHttpDate(std::string_view s) {
  std::string text(s);
  static constexpr std::array<const char*, 3> kFormats = {
      "%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"};
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), f, &tm);
    if (end != nullptr && *end == '\0') {
      return timegm(&tm);
    }
  }
  return std::nullopt;
}

const std::string& DateCache::get(std::time_t now) {
  if (now != at_ || value_.empty()) {
    at_ = now;
    value_ = formatHttpDate(now);
  }
  return value_;
}

}  // namespace gatehouse::http
