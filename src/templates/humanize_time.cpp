#include "templates/humanize_time.h"

#include <array>
#include <limits>

namespace gatehouse::templates {

namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
constexpr int64_t kMonth = 30 * kDay;
constexpr int64_t kYear = 12 * kMonth;
constexpr int64_t kLongTime = 37 * kYear;

// go-humanize's magnitudes: below `limit`, print `format` ("%d" is the difference divided
// by `divBy`, "%s" the label).
struct Magnitude {
  int64_t limit;
  const char* format;
  int64_t divBy;
};

constexpr std::array<Magnitude, 17> kMagnitudes = {{
    {kSecond, "now", kSecond},
    {2 * kSecond, "1 second %s", 1},
    {kMinute, "%d seconds %s", kSecond},
    {2 * kMinute, "1 minute %s", 1},
    {kHour, "%d minutes %s", kMinute},
    {2 * kHour, "1 hour %s", 1},
    {kDay, "%d hours %s", kHour},
    {2 * kDay, "1 day %s", 1},
    {kWeek, "%d days %s", kDay},
    {2 * kWeek, "1 week %s", 1},
    {kMonth, "%d weeks %s", kWeek},
    {2 * kMonth, "1 month %s", 1},
    {kYear, "%d months %s", kMonth},
    {18 * kMonth, "1 year %s", 1},
    {2 * kYear, "2 years %s", 1},
    {kLongTime, "%d years %s", kYear},
    {std::numeric_limits<int64_t>::max(), "a long while %s", 1},
}};

}  // namespace

std::string humanizeTime(int64_t then, int64_t now) {
  std::string label = "ago";
  int64_t diff = now - then;
  if (then > now) {
    label = "from now";
    diff = then - now;
  }
  size_t n = 0;
  while (n + 1 < kMagnitudes.size() && kMagnitudes[n].limit <= diff) {
    ++n;
  }
  const Magnitude& m = kMagnitudes[n];
  std::string out;
  for (const char* p = m.format; *p != '\0'; ++p) {
    if (p[0] == '%' && p[1] == 'd') {
      out += std::to_string(diff / m.divBy);
      ++p;
    } else if (p[0] == '%' && p[1] == 's') {
      out += label;
      ++p;
    } else {
      out += *p;
    }
  }
  return out;
}

}  // namespace gatehouse::templates
