#pragma once
// HTTP dates (RFC 9110 IMF-fixdate) and a per-loop cache of the current one, so the Date
// header costs one formatting per second per worker rather than one per response.

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::http {

std::string formatHttpDate(std::time_t t);
// Accepts IMF-fixdate, RFC 850 and asctime forms, as Go's http.ParseTime.
std::optional<std::time_t> parseHttpDate(std::string_view s);

// Loop-thread only.
class DateCache {
 public:
  // `now` is wall-clock seconds; re-formats only when the second changed.
  const std::string& get(std::time_t now);

 private:
  std::time_t at_ = 0;
  std::string value_;
};

}  // namespace gatehouse::http
