#pragma once
// Go's time.ParseDuration, the one duration syntax under Caddy's (which adds "d"), CEL's
// duration() and Sprig's dateModify.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::parser {

// Nanoseconds, exact as Go computes them (integer arithmetic); nullopt on malformed input or
// overflow, with Go's error text in *error (`time: invalid duration "x"`, `time: missing unit
// in duration "1"`, `time: unknown unit "d" in duration "1d"`).
std::optional<int64_t> parseGoDuration(std::string_view text, std::string* error = nullptr);

// Go's time.Duration(nanos).String(): "0s", "500ns", "1.5µs", "2.003ms", "1m1s", "-1h0m0s".
std::string goDurationString(int64_t nanos);

}  // namespace gatehouse::parser
