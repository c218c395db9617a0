#pragma once
// The UTC offset a CEL timestamp accessor's time zone argument names at one instant, read as
// cel-go 0.12 (Caddy 2.6.2) reads it: an IANA name through Go's time.LoadLocation (the
// system's zoneinfo files), or "[+-]HH:MM" read with Go's strconv.Atoi on each side of the
// colon ("-05:30" is five and a half hours west). Past a zone file's last transition
// (2037 in Debian's files) the file's POSIX TZ rule applies, as in Go.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace gatehouse::router::cel {

// Seconds east of UTC at `unixSeconds`, or the error text (the accessor then fails).
std::variant<int64_t, std::string> zoneOffset(std::string_view zone, int64_t unixSeconds);

}  // namespace gatehouse::router::cel
