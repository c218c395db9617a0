#pragma once
// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.

#include <chrono>
#include <optional>
#include <string>

namespace gatehouse::acme {

// The delay from `now`; nullopt when absent or malformed. Dates in the past give 0.
std::optional<std::chrono::seconds> parseRetryAfter(const std::string& value,
                                                    std::chrono::system_clock::time_point now);

}  // namespace gatehouse::acme
