// Caddy's durations in a JSON config (apps.http.grace_period, a transport's read_timeout
// ...): an integer of nanoseconds or a Go duration string, as milliseconds for our timers.
#include <cctype>
#include <string>

#include "provision/provision_error.h"
#include "provision/runtime.h"

namespace gatehouse::provision {

using config::Json;

int durationSign(const Json& value) {
  if (value.is_number_integer()) {
    const int64_t n = value.get<int64_t>();
    return n > 0 ? 1 : n < 0 ? -1 : 0;
  }
  const std::string s = value.is_string() ? value.get<std::string>() : "";
  if (s.find_first_of("123456789") == std::string::npos) {
    return 0;
  }
  return s.starts_with('-') ? -1 : 1;
}

std::chrono::milliseconds parseDuration(const Json& value, const std::string& path) {
  // Our timers count milliseconds; a positive duration below one (Caddy's "250us") stays
  // positive, as zero often means "the default" or "off" to the caller.
  if (value.is_number_integer()) {
    const int64_t ns = value.get<int64_t>();
    return std::chrono::milliseconds(ns > 0 && ns < 1'000'000 ? 1 : ns / 1'000'000);
  }
  if (!value.is_string()) {
    throw ProvisionError(path, "expected a duration");
  }
  const std::string s = value.get<std::string>();
  double totalMs = 0;
  size_t i = 0;
  if (s.empty()) {
    throw ProvisionError(path, "empty duration");
  }
  // Go's time.ParseDuration takes a sign ("-1s"); the rest must still hold a number.
  const bool negative = s.front() == '-';
  if (negative || s.front() == '+') {
    i = 1;
    if (s.size() == 1) {
      throw ProvisionError(path, "invalid duration '" + s + "'");
    }
  }
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
      ++i;
    }
    if (start == i) {
      throw ProvisionError(path, "invalid duration '" + s + "'");
    }
    double n = std::stod(s.substr(start, i - start));
    size_t ustart = i;
    // (A unit may be "µs" or "μs": UTF-8 bytes past ASCII belong to it.)
    while (i < s.size() &&
           (std::isalpha(static_cast<unsigned char>(s[i])) || static_cast<unsigned char>(s[i]) >= 0x80)) {
      ++i;
    }
    std::string unit = s.substr(ustart, i - ustart);
    double ms = 0;
    if (unit == "ns") {
      ms = n / 1e6;
    } else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") {
      ms = n / 1e3;
    } else if (unit == "ms") {
      ms = n;
    } else if (unit == "s") {
      ms = n * 1e3;
    } else if (unit == "m") {
      ms = n * 60e3;
    } else if (unit == "h") {
      ms = n * 3600e3;
    } else if (unit == "d") {
      ms = n * 86400e3;
    } else if (unit.empty() && n == 0) {
      ms = 0;
    } else {
      throw ProvisionError(path, "invalid duration '" + s + "'");
    }
    totalMs += ms;
  }
  // Go's time.ParseDuration refuses a total past int64 nanoseconds (2562047h47m16.854775807s),
  // as caddy 2.6.2 does ("time: invalid duration"); converting such a double to int64 below
  // would also be undefined (UBSan float-cast-overflow; a huge value came out negative).
  constexpr double kMaxMs = 9223372036854.775807;
  if (!(totalMs <= kMaxMs)) {
    throw ProvisionError(path, "invalid duration '" + s + "'");
  }
  if (negative) {
    return std::chrono::milliseconds(-static_cast<int64_t>(totalMs));
  }
  return std::chrono::milliseconds(totalMs > 0 && totalMs < 1 ? 1 : static_cast<int64_t>(totalMs));
}

}  // namespace gatehouse::provision
