#include "router/cel/posix_tz.h"

#include <cctype>
#include <utility>

namespace gatehouse::router::cel {

namespace {

constexpr int64_t kDay = 86400;

struct Reader {
  std::string_view s;

  bool take(char c) {
    if (!s.empty() && s[0] == c) {
      s.remove_prefix(1);
      return true;
    }
    return false;
  }
  std::optional<int64_t> number() {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) == 0) {
      return std::nullopt;
    }
    int64_t n = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) != 0 && n < 1000000) {
      n = n * 10 + (s[0] - '0');
      s.remove_prefix(1);
    }
    return n;
  }
  // A zone abbreviation: letters, or anything between '<' and '>'.
  bool name() {
    if (take('<')) {
      const size_t close = s.find('>');
      if (close == std::string_view::npos) {
        return false;
      }
      s.remove_prefix(close + 1);
      return true;
    }
    size_t n = 0;
    while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n])) != 0) {
      ++n;
    }
    s.remove_prefix(n);
    return n >= 3;
  }
  // [+-]hh[:mm[:ss]] in seconds.
  std::optional<int64_t> clock() {
    const bool negative = take('-');
    if (!negative) {
      take('+');
    }
    auto h = number();
    if (!h) {
      return std::nullopt;
    }
    int64_t secs = *h * 3600;
    for (int64_t unit : {60, 1}) {
      if (!take(':')) {
        break;
      }
      auto part = number();
      if (!part) {
        return std::nullopt;
      }
      secs += *part * unit;
    }
    return negative ? -secs : secs;
  }
};

enum class RuleKind { Julian, DayOfYear, MonthWeekDay };

struct Rule {
  RuleKind kind = RuleKind::MonthWeekDay;
  int64_t day = 0;
  int64_t week = 0;
  int64_t month = 0;
  int64_t time = 2 * 3600;
};

std::optional<Rule> rule(Reader& r) {
  Rule out;
  if (r.take('J')) {
    auto d = r.number();
    if (!d || *d < 1 || *d > 365) {
      return std::nullopt;
    }
    out.kind = RuleKind::Julian;
    out.day = *d;
  } else if (r.take('M')) {
    auto m = r.number();
    auto w = m && r.take('.') ? r.number() : std::nullopt;
    auto d = w && r.take('.') ? r.number() : std::nullopt;
    if (!d || *m < 1 || *m > 12 || *w < 1 || *w > 5 || *d > 6) {
      return std::nullopt;
    }
    out.month = *m;
    out.week = *w;
    out.day = *d;
  } else {
    auto d = r.number();
    if (!d || *d > 365) {
      return std::nullopt;
    }
    out.kind = RuleKind::DayOfYear;
    out.day = *d;
  }
  if (r.take('/')) {
    auto t = r.clock();
    if (!t) {
      return std::nullopt;
    }
    out.time = *t;
  }
  return out;
}

bool leap(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int64_t daysIn(int64_t month, int64_t year) {
  static constexpr int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

// Seconds from the start of `year` (UTC) to the rule's moment, `offset` being the local
// time's offset when it happens (Go's tzruleTime).
int64_t ruleTime(int64_t year, const Rule& r, int64_t offset) {
  int64_t day = 0;
  switch (r.kind) {
    case RuleKind::Julian:
      day = r.day - 1 + (leap(year) && r.day >= 60 ? 1 : 0);
      break;
    case RuleKind::DayOfYear:
      day = r.day;
      break;
    case RuleKind::MonthWeekDay: {
      // The weekday of the month's first day (Zeller's congruence), then the week-th `day`.
      const int64_t m1 = (r.month + 9) % 12 + 1;
      const int64_t yy0 = r.month <= 2 ? year - 1 : year;
      const int64_t yy1 = yy0 / 100;
      const int64_t yy2 = yy0 % 100;
      int64_t dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
      dow += dow < 0 ? 7 : 0;
      int64_t d = r.day - dow;
      d += d < 0 ? 7 : 0;
      for (int64_t i = 1; i < r.week && d + 7 < daysIn(r.month, year); ++i) {
        d += 7;
      }
      for (int64_t m = 1; m < r.month; ++m) {
        d += daysIn(m, year);
      }
      day = d;
      break;
    }
  }
  return day * kDay + r.time - offset;
}

// The UTC civil year of a unix time and the seconds since that year began.
void yearOf(int64_t t, int64_t& year, int64_t& intoYear) {
  int64_t days = t / kDay - (t % kDay < 0 ? 1 : 0);
  year = 1970;
  int64_t start = 0;  // days from the epoch to Jan 1 of `year`
  while (days - start >= (leap(year) ? 366 : 365)) {
    start += leap(year) ? 366 : 365;
    ++year;
  }
  while (days < start) {
    --year;
    start -= leap(year) ? 366 : 365;
  }
  intoYear = t - start * kDay;
}

}  // namespace

std::optional<int64_t> posixRuleOffset(std::string_view text, int64_t unixSeconds) {
  Reader r{text};
  if (!r.name()) {
    return std::nullopt;
  }
  auto stdOffset = r.clock();
  if (!stdOffset) {
    return std::nullopt;
  }
  const int64_t standard = -*stdOffset;  // POSIX counts west of UTC
  if (r.s.empty()) {
    return standard;
  }
  if (!r.name()) {
    return std::nullopt;
  }
  int64_t daylight = standard + 3600;
  if (!r.s.empty() && r.s[0] != ',') {
    auto off = r.clock();
    if (!off) {
      return std::nullopt;
    }
    daylight = -*off;
  }
  if (r.s.empty()) {
    r.s = ",M3.2.0,M11.1.0";  // Go's default rule, the United States'
  }
  std::optional<Rule> start = r.take(',') ? rule(r) : std::nullopt;
  std::optional<Rule> end = start && r.take(',') ? rule(r) : std::nullopt;
  if (!end || !r.s.empty()) {
    return std::nullopt;
  }
  int64_t year = 0;
  int64_t intoYear = 0;
  yearOf(unixSeconds, year, intoYear);
  int64_t startSec = ruleTime(year, *start, standard);
  int64_t endSec = ruleTime(year, *end, daylight);
  bool inside = true;  // DST between start and end; reversed in the southern hemisphere
  if (endSec < startSec) {
    std::swap(startSec, endSec);
    inside = false;
  }
  const bool between = intoYear >= startSec && intoYear < endSec;
  return between == inside ? daylight : standard;
}

}  // namespace gatehouse::router::cel
