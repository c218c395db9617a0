#pragma once
// Time and duration text as Go prints it, for log encoders configured like Caddy's
// (`time_format` takes Go reference layouts such as "2006-01-02 15:04:05.000 MST";
// `duration_format string` prints Go's time.Duration.String(), e.g. "38.696µs").

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::log {

// Appends the instant `unixNanos` formatted with Go layout `layout` (time.Time.Format),
// in UTC or in the local time zone.
void appendGoTime(std::string& out, std::string_view layout, int64_t unixNanos, bool local);

// Appends Go's time.Duration(nanos).String(): "0s", "500ns", "1.5µs", "2.003ms", "1m1s", "1h0m0s".
void appendGoDuration(std::string& out, int64_t nanos);

// Appends a float as Go's fmt prints it with %v: the fewest digits that round-trip, in
// exponent form when the exponent is below -4 or at least 6 ("1.7957148519490001e+09").
void appendGoFloat(std::string& out, double v);

}  // namespace gatehouse::log
