#include "protocol/retry_after.h"

#include <cctype>
#include <ctime>

namespace gatehouse::acme {

std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value,
                                                    std::chrono::system_clock::time_point now) {
  if (value.empty())
    return std::nullopt;
  bool digits = true;
  for (char c : value)
    digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (value.size() > 9)
      return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::stol(value));
  }
  struct tm tm {};
  const char* end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0')
    return std::nullopt;
  const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (when <= now)
    return std::chrono::seconds(0);
  return std::chrono::duration_cast<std::chrono::seconds>(when - now);
}

}  // namespace gatehouse::acme
