#pragma once
// Timestamps and durations as CEL spells them: RFC 3339 text (timestamp("2023-01-01T00:00:00Z"))
// and Go duration strings (duration("1h30m")).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::router::cel {

// Nanoseconds since the Unix epoch; nullopt when `text` is not RFC 3339.
std::optional<int64_t> parseTimestamp(std::string_view text);
// RFC 3339 in UTC with the shortest fraction, as Go's time.RFC3339Nano.
std::string formatTimestamp(int64_t nanos);
// Go's time.ParseDuration ("300ms", "-1.5h", "2h45m"); nullopt when malformed.
std::optional<int64_t> parseDuration(std::string_view text);
// As cel-go prints a duration: seconds with up to nine fraction digits and "s" ("1.5s").
std::string formatDuration(int64_t nanos);

}  // namespace gatehouse::router::cel
