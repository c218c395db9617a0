#include "templates/go_time_parse.h"

#include <array>
#include <cstdint>
#include <ctime>
#include <string_view>

#include "templates/value.h"

namespace gatehouse::templates {

namespace {

constexpr std::array<std::string_view, 12> kMonths = {"January",   "February", "March",    "April",
                                                      "May",       "June",     "July",     "August",
                                                      "September", "October",  "November", "December"};
constexpr std::array<std::string_view, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                   "Thursday", "Friday", "Saturday"};

// Layout elements, longest first where one is a prefix of another.
constexpr std::array<std::string_view, 31> kElements = {
    "January", "Jan",   "Monday", "Mon",    "MST",   "2006", "002",  "01",   "02", "03", "04",
    "05",      "06",    "15",     "1",      "2",     "_2",   "3",    "4",    "5",  "PM", "pm",
    "-07:00",  "-0700", "-07",    "Z07:00", "Z0700", "Z07",  ".000", ".999", "Z"};

bool lowerAt(std::string_view s, size_t i) {
  return i < s.size() && s[i] >= 'a' && s[i] <= 'z';
}

// The element at layout[i] (as Go's nextStdChunk decides), or empty.
std::string_view elementAt(std::string_view l, size_t i) {
  if ((l[i] == '.' || l[i] == ',') && i + 1 < l.size() && (l[i + 1] == '0' || l[i + 1] == '9')) {
    size_t j = i + 1;
    while (j < l.size() && l[j] == l[i + 1]) {
      ++j;
    }
    if (j >= l.size() || l[j] < '0' || l[j] > '9') {
      return l.substr(i, j - i);
    }
    return {};
  }
  for (std::string_view e : kElements) {
    if (e == "Z" || l.substr(i, e.size()) != e) {
      continue;
    }
    if ((e == "Jan" || e == "Mon") && lowerAt(l, i + 3)) {
      continue;
    }
    if (e == "_2" && l.substr(i + 1, 4) == "2006") {
      continue;
    }
    return e;
  }
  return {};
}

bool equalFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) {
      return false;
    }
  }
  return true;
}

struct Parser {
  std::string_view layout;
  std::string_view full;
  std::string_view v;  // what is left of the value

  [[noreturn]] void bad(std::string_view elem) const {
    throw TemplateError("parsing time \"" + std::string(full) + "\" as \"" + std::string(layout) +
                        "\": cannot parse \"" + std::string(v) + "\" as \"" + std::string(elem) + "\"");
  }
  // Go's getnum / getnum3: `fixed` digits exactly, else 1 up to `most`.
  int num(std::string_view elem, size_t most, bool fixed) {
    size_t n = 0;
    while (n < v.size() && n < most && v[n] >= '0' && v[n] <= '9') {
      ++n;
    }
    if (n == 0 || (fixed && n != most)) {
      bad(elem);
    }
    int out = 0;
    for (size_t i = 0; i < n; ++i) {
      out = out * 10 + (v[i] - '0');
    }
    v.remove_prefix(n);
    return out;
  }
  template <size_t N>
  int name(std::string_view elem, const std::array<std::string_view, N>& names, size_t len) {
    for (size_t i = 0; i < N; ++i) {
      const std::string_view n = len == 0 ? names[i] : names[i].substr(0, len);
      if (v.size() >= n.size() && equalFold(v.substr(0, n.size()), n)) {
        v.remove_prefix(n.size());
        return static_cast<int>(i);
      }
    }
    bad(elem);
  }
  // -0700 / -07:00 / -07 (or Z for the Z forms): the offset in seconds.
  int offset(std::string_view elem) {
    if (elem[0] == 'Z' && !v.empty() && v[0] == 'Z') {
      v.remove_prefix(1);
      return 0;
    }
    if (v.empty() || (v[0] != '+' && v[0] != '-')) {
      bad(elem);
    }
    const int sign = v[0] == '-' ? -1 : 1;
    v.remove_prefix(1);
    const int h = num(elem, 2, true);
    int m = 0;
    if (elem.ends_with("07:00")) {
      if (v.empty() || v[0] != ':') {
        bad(elem);
      }
      v.remove_prefix(1);
      m = num(elem, 2, true);
    } else if (elem.ends_with("0700")) {
      m = num(elem, 2, true);
    }
    return sign * (h * 3600 + m * 60);
  }
};

bool leap(int y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

}  // namespace

int64_t goParseTime(const std::string& layoutText, const std::string& valueText, bool local) {
  Parser p{layoutText, valueText, valueText};
  const std::string_view l = layoutText;
  int year = 1, month = 1, day = 1, yday = -1, hour = 0, min = 0, sec = 0, pm = -1;
  int64_t nanos = 0;
  bool zoned = false;
  int zoneOffset = 0;
  size_t i = 0;
  while (i < l.size()) {
    const std::string_view e = elementAt(l, i);
    if (e.empty()) {
      if (p.v.empty() || p.v[0] != l[i]) {
        // Go reports the literal text up to the next element.
        size_t j = i + 1;
        while (j < l.size() && elementAt(l, j).empty()) {
          ++j;
        }
        p.bad(l.substr(i, j - i));
      }
      p.v.remove_prefix(1);
      ++i;
      continue;
    }
    i += e.size();
    if (e == "2006") {
      year = p.num(e, 4, true);
    } else if (e == "06") {
      year = p.num(e, 2, true);
      year += year >= 69 ? 1900 : 2000;
    } else if (e == "January" || e == "Jan") {
      month = p.name(e, kMonths, e == "Jan" ? 3 : 0) + 1;
    } else if (e == "Monday" || e == "Mon") {
      p.name(e, kDays, e == "Mon" ? 3 : 0);
    } else if (e == "01" || e == "1") {
      month = p.num(e, 2, e == "01");
    } else if (e == "02" || e == "2" || e == "_2") {
      if (e == "_2" && !p.v.empty() && p.v[0] == ' ') {
        p.v.remove_prefix(1);
      }
      day = p.num(e, 2, e == "02");
    } else if (e == "002") {
      yday = p.num(e, 3, true);
    } else if (e == "15") {
      hour = p.num(e, 2, false);
    } else if (e == "03" || e == "3") {
      hour = p.num(e, 2, e == "03");
    } else if (e == "04" || e == "4") {
      min = p.num(e, 2, e == "04");
    } else if (e == "05" || e == "5") {
      sec = p.num(e, 2, e == "05");
    } else if (e == "PM" || e == "pm") {
      const std::string_view ampm = p.v.substr(0, 2);
      if (equalFold(ampm, "PM") || equalFold(ampm, "AM")) {
        pm = (ampm[0] | 0x20) == 'p' ? 1 : 0;
        p.v.remove_prefix(2);
      } else {
        p.bad(e);
      }
    } else if (e == "MST") {
      size_t n = 0;
      while (n < p.v.size() && p.v[n] >= 'A' && p.v[n] <= 'Z') {
        ++n;
      }
      if (n < 3) {
        p.bad(e);
      }
      zoned = true;  // as Go for an abbreviation it does not know: offset 0
      p.v.remove_prefix(n);
    } else if (e[0] == '-' || e[0] == 'Z') {
      zoneOffset = p.offset(e);
      zoned = true;
    } else {  // .000 / .999: fractional seconds
      const bool fixed = e[1] == '0';
      if (p.v.empty() || (p.v[0] != '.' && p.v[0] != ',')) {
        if (fixed) {
          p.bad(e);
        }
        continue;
      }
      p.v.remove_prefix(1);
      size_t n = 0;
      int64_t frac = 0;
      while (n < p.v.size() && p.v[n] >= '0' && p.v[n] <= '9') {
        frac = n < 9 ? frac * 10 + (p.v[n] - '0') : frac;
        ++n;
      }
      if (n == 0 || (fixed && n != e.size() - 1)) {
        p.bad(e);
      }
      for (size_t k = n; k < 9; ++k) {
        frac *= 10;
      }
      nanos = frac;
      p.v.remove_prefix(n);
    }
    // A seconds element followed by a fraction the layout does not name: Go reads it.
    if ((e == "05" || e == "5") && (i >= l.size() || elementAt(l, i).empty() || elementAt(l, i)[0] != '.') &&
        p.v.size() > 1 && p.v[0] == '.' && p.v[1] >= '0' && p.v[1] <= '9') {
      p.v.remove_prefix(1);
      int64_t frac = 0;
      size_t n = 0;
      while (n < p.v.size() && p.v[n] >= '0' && p.v[n] <= '9') {
        frac = n < 9 ? frac * 10 + (p.v[n] - '0') : frac;
        ++n;
      }
      for (size_t k = n; k < 9; ++k) {
        frac *= 10;
      }
      nanos = frac;
      p.v.remove_prefix(n);
    }
  }
  if (!p.v.empty()) {
    throw TemplateError("parsing time \"" + valueText + "\": extra text: \"" + std::string(p.v) + "\"");
  }
  auto range = [&](const char* what) {
    throw TemplateError("parsing time \"" + valueText + "\": " + what + " out of range");
  };
  if (pm == 1 && hour < 12) {
    hour += 12;
  } else if (pm == 0 && hour == 12) {
    hour = 0;
  }
  if (month < 1 || month > 12) {
    range("month");
  }
  static constexpr std::array<int, 12> kMonthDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day < 1 || day > kMonthDays[static_cast<size_t>(month - 1)] ||
      (month == 2 && day == 29 && !leap(year))) {
    range("day");
  }
  if (hour > 23) {
    range("hour");
  }
  if (min > 59) {
    range("minute");
  }
  if (sec > 59) {
    range("second");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = yday > 0 ? yday : day;
  if (yday > 0) {
    tm.tm_mon = 0;
  }
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t seconds = 0;
  if (zoned || !local) {
    seconds = static_cast<int64_t>(timegm(&tm)) - zoneOffset;
  } else {
    tm.tm_isdst = -1;
    seconds = static_cast<int64_t>(mktime(&tm));
  }
  // Times are int64 nanoseconds since 1970: refuse rather than wrap (a layout without a
  // date parses as year 0 in Go)
  constexpr int64_t kMaxSeconds = INT64_MAX / 1000000000 - 1;
  if (seconds > kMaxSeconds || seconds < -kMaxSeconds) {
    throw TemplateError("parsing time \"" + valueText + "\": a year outside 1678..2261 is not supported yet");
  }
  return seconds * 1000000000 + nanos;
}

}  // namespace gatehouse::templates
