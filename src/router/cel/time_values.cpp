#include "router/cel/time_values.h"

#include <cstdio>

#include "gatehouse/parser/go_duration.h"

namespace gatehouse::router::cel {

namespace {

bool digitsAt(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) {
    return false;
  }
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[at + k];
    if (c < '0' || c > '9') {
      return false;
    }
    out = out * 10 + (c - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

}  // namespace

std::optional<int64_t> parseTimestamp(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!digitsAt(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digitsAt(s, 5, 2, mo) || s[7] != '-' ||
      !digitsAt(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digitsAt(s, 11, 2, h) || s[13] != ':' ||
      !digitsAt(s, 14, 2, mi) || s[16] != ':' || !digitsAt(s, 17, 2, se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t frac = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    int64_t scale = 100000000;
    size_t start = at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      frac += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start || at - start > 9) {
      return std::nullopt;
    }
  }
  int64_t offset = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z') && at + 1 == s.size()) {
    offset = 0;
  } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && s[at + 3] == ':') {
    int oh = 0, om = 0;
    if (!digitsAt(s, at + 1, 2, oh) || !digitsAt(s, at + 4, 2, om)) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[at] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  int64_t secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
  int64_t nanos = 0;
  if (__builtin_mul_overflow(secs, int64_t{1000000000}, &nanos) ||
      __builtin_add_overflow(nanos, frac, &nanos)) {
    return std::nullopt;
  }
  return nanos;
}

std::string formatTimestamp(int64_t nanos) {
  int64_t secs = nanos / 1000000000;
  int64_t frac = nanos % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y = 0;
  int m = 0;
  int d = 0;
  civilFromDays(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  std::string out = buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') {
      f.pop_back();
    }
    out += f;
  }
  return out + "Z";
}

std::optional<int64_t> parseDuration(std::string_view s) {
  return gatehouse::parser::parseGoDuration(s);
}

std::string formatDuration(int64_t nanos) {
  char buf[64];
  int64_t secs = nanos / 1000000000;
  int64_t frac = nanos % 1000000000;
  const char* sign = (nanos < 0 && secs == 0) ? "-" : "";
  if (frac == 0) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(secs));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%s%lld.%09lld", sign, static_cast<long long>(secs),
                static_cast<long long>(frac < 0 ? -frac : frac));
  std::string out = buf;
  while (out.back() == '0') {
    out.pop_back();
  }
  return out + "s";
}

}  // namespace gatehouse::router::cel
