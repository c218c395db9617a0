#include "log/go_time_text.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "gatehouse/parser/go_duration.h"

namespace gatehouse::log {

namespace {

// The elements of a Go layout (the reference time is Mon Jan 2 15:04:05 MST 2006).
enum class Std {
  None,
  LongMonth,
  Month,
  NumMonth,
  ZeroMonth,
  LongWeekDay,
  WeekDay,
  Day,
  UnderDay,
  ZeroDay,
  UnderYearDay,
  ZeroYearDay,
  Hour,
  Hour12,
  ZeroHour12,
  Minute,
  ZeroMinute,
  Second,
  ZeroSecond,
  LongYear,
  Year,
  PM,
  pm,
  TZ,
  ISO8601TZ,
  ISO8601SecondsTZ,
  ISO8601ShortTZ,
  ISO8601ColonTZ,
  ISO8601ColonSecondsTZ,
  NumTZ,
  NumSecondsTz,
  NumShortTZ,
  NumColonTZ,
  NumColonSecondsTZ,
  FracFixed,
  FracTrimmed,
};

struct Chunk {
  size_t prefixLen = 0;  // literal text before the element
  Std std = Std::None;
  size_t stdLen = 0;  // length of the element in the layout
  int fracDigits = 0;
  char fracSep = '.';
};

bool startsWithLower(std::string_view s) {
  return !s.empty() && s[0] >= 'a' && s[0] <= 'z';
}

bool startsWith(std::string_view s, size_t i, std::string_view what) {
  return s.size() >= i + what.size() && s.substr(i, what.size()) == what;
}

// The element starting at layout[i], if one does (Go's nextStdChunk, one position).
bool stdAt(std::string_view l, size_t i, Chunk& c) {
  auto is = [&](std::string_view w, Std s) {
    if (!startsWith(l, i, w)) {
      return false;
    }
    c.std = s;
    c.stdLen = w.size();
    return true;
  };
  switch (l[i]) {
    case 'J':
      if (startsWith(l, i, "Jan")) {
        return is("January", Std::LongMonth) || (!startsWithLower(l.substr(i + 3)) && is("Jan", Std::Month));
      }
      return false;
    case 'M':
      if (startsWith(l, i, "Mon")) {
        return is("Monday", Std::LongWeekDay) ||
               (!startsWithLower(l.substr(i + 3)) && is("Mon", Std::WeekDay));
      }
      return is("MST", Std::TZ);
    case '0': {
      static constexpr std::array<Std, 6> k0x = {Std::ZeroMonth,  Std::ZeroDay,    Std::ZeroHour12,
                                                 Std::ZeroMinute, Std::ZeroSecond, Std::Year};
      if (l.size() > i + 1 && l[i + 1] >= '1' && l[i + 1] <= '6') {
        c.std = k0x[static_cast<size_t>(l[i + 1] - '1')];
        c.stdLen = 2;
        return true;
      }
      return is("002", Std::ZeroYearDay);
    }
    case '1':
      return is("15", Std::Hour) || is("1", Std::NumMonth);
    case '2':
      return is("2006", Std::LongYear) || is("2", Std::Day);
    case '_':
      if (startsWith(l, i, "_2")) {
        if (startsWith(l, i + 1, "2006")) {
          return false;  // "_2006" is a literal '_' before a year
        }
        return is("_2", Std::UnderDay);
      }
      return is("__2", Std::UnderYearDay);
    case '3':
      return is("3", Std::Hour12);
    case '4':
      return is("4", Std::Minute);
    case '5':
      return is("5", Std::Second);
    case 'P':
      return is("PM", Std::PM);
    case 'p':
      return is("pm", Std::pm);
    case '-':
      return is("-070000", Std::NumSecondsTz) || is("-07:00:00", Std::NumColonSecondsTZ) ||
             is("-0700", Std::NumTZ) || is("-07:00", Std::NumColonTZ) || is("-07", Std::NumShortTZ);
    case 'Z':
      return is("Z070000", Std::ISO8601SecondsTZ) || is("Z07:00:00", Std::ISO8601ColonSecondsTZ) ||
             is("Z0700", Std::ISO8601TZ) || is("Z07:00", Std::ISO8601ColonTZ) ||
             is("Z07", Std::ISO8601ShortTZ);
    case '.':
    case ',':
      if (l.size() > i + 1 && (l[i + 1] == '0' || l[i + 1] == '9')) {
        const char ch = l[i + 1];
        size_t j = i + 1;
        while (j < l.size() && l[j] == ch) {
          ++j;
        }
        if (j < l.size() && l[j] >= '0' && l[j] <= '9') {
          return false;
        }
        c.std = ch == '0' ? Std::FracFixed : Std::FracTrimmed;
        c.stdLen = j - i;
        c.fracDigits = static_cast<int>(j - i - 1);
        c.fracSep = l[i];
        return true;
      }
      return false;
    default:
      return false;
  }
}

Chunk nextChunk(std::string_view l) {
  Chunk c;
  for (size_t i = 0; i < l.size(); ++i) {
    if (stdAt(l, i, c)) {
      c.prefixLen = i;
      return c;
    }
  }
  c.prefixLen = l.size();
  return c;
}

void appendInt(std::string& out, long v, int width, char pad) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld", v < 0 ? -v : v);
  std::string digits(buf);
  if (v < 0) {
    out += '-';
  }
  for (int n = static_cast<int>(digits.size()); n < width; ++n) {
    out += pad;
  }
  out += digits;
}

void appendZone(std::string& out, Std s, long offset) {
  const bool iso = s >= Std::ISO8601TZ && s <= Std::ISO8601ColonSecondsTZ;
  if (iso && offset == 0) {
    out += 'Z';
    return;
  }
  out += offset < 0 ? '-' : '+';
  const long abs = offset < 0 ? -offset : offset;
  appendInt(out, abs / 3600, 2, '0');
  const bool colon = s == Std::ISO8601ColonTZ || s == Std::ISO8601ColonSecondsTZ || s == Std::NumColonTZ ||
                     s == Std::NumColonSecondsTZ;
  if (s == Std::ISO8601ShortTZ || s == Std::NumShortTZ) {
    return;
  }
  if (colon) {
    out += ':';
  }
  appendInt(out, (abs / 60) % 60, 2, '0');
  if (s == Std::ISO8601SecondsTZ || s == Std::ISO8601ColonSecondsTZ || s == Std::NumSecondsTz ||
      s == Std::NumColonSecondsTZ) {
    if (colon) {
      out += ':';
    }
    appendInt(out, abs % 60, 2, '0');
  }
}

void appendFrac(std::string& out, const Chunk& c, long nanos) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%09ld", nanos);
  std::string digits(buf, static_cast<size_t>(c.fracDigits));
  if (c.std == Std::FracTrimmed) {
    while (!digits.empty() && digits.back() == '0') {
      digits.pop_back();
    }
    if (digits.empty()) {
      return;
    }
  }
  out += c.fracSep;
  out += digits;
}

constexpr std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
constexpr std::array<const char*, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};

void appendStd(std::string& out, const Chunk& c, const std::tm& tm, long nanos) {
  const int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
  switch (c.std) {
    case Std::LongMonth:
      out += kMonths[static_cast<size_t>(tm.tm_mon)];
      break;
    case Std::Month:
      out.append(kMonths[static_cast<size_t>(tm.tm_mon)], 3);
      break;
    case Std::NumMonth:
      appendInt(out, tm.tm_mon + 1, 0, '0');
      break;
    case Std::ZeroMonth:
      appendInt(out, tm.tm_mon + 1, 2, '0');
      break;
    case Std::LongWeekDay:
      out += kDays[static_cast<size_t>(tm.tm_wday)];
      break;
    case Std::WeekDay:
      out.append(kDays[static_cast<size_t>(tm.tm_wday)], 3);
      break;
    case Std::Day:
      appendInt(out, tm.tm_mday, 0, '0');
      break;
    case Std::UnderDay:
      appendInt(out, tm.tm_mday, 2, ' ');
      break;
    case Std::ZeroDay:
      appendInt(out, tm.tm_mday, 2, '0');
      break;
    case Std::UnderYearDay:
      appendInt(out, tm.tm_yday + 1, 3, ' ');
      break;
    case Std::ZeroYearDay:
      appendInt(out, tm.tm_yday + 1, 3, '0');
      break;
    case Std::Hour:
      appendInt(out, tm.tm_hour, 2, '0');
      break;
    case Std::Hour12:
      appendInt(out, hour12, 0, '0');
      break;
    case Std::ZeroHour12:
      appendInt(out, hour12, 2, '0');
      break;
    case Std::Minute:
      appendInt(out, tm.tm_min, 0, '0');
      break;
    case Std::ZeroMinute:
      appendInt(out, tm.tm_min, 2, '0');
      break;
    case Std::Second:
      appendInt(out, tm.tm_sec, 0, '0');
      break;
    case Std::ZeroSecond:
      appendInt(out, tm.tm_sec, 2, '0');
      break;
    case Std::LongYear:
      appendInt(out, tm.tm_year + 1900, 4, '0');
      break;
    case Std::Year:
      appendInt(out, (tm.tm_year + 1900) % 100, 2, '0');
      break;
    case Std::PM:
      out += tm.tm_hour >= 12 ? "PM" : "AM";
      break;
    case Std::pm:
      out += tm.tm_hour >= 12 ? "pm" : "am";
      break;
    case Std::TZ:
      if (tm.tm_zone != nullptr && tm.tm_zone[0] != '\0' && tm.tm_gmtoff != 0) {
        out += tm.tm_zone;
      } else if (tm.tm_gmtoff == 0) {
        out += "UTC";
      } else {
        appendZone(out, Std::NumShortTZ, tm.tm_gmtoff);  // Go: "-07" when the zone has no name
      }
      break;
    case Std::FracFixed:
    case Std::FracTrimmed:
      appendFrac(out, c, nanos);
      break;
    case Std::None:
      break;
    default:
      appendZone(out, c.std, tm.tm_gmtoff);
      break;
  }
}

}  // namespace

void appendGoTime(std::string& out, std::string_view layout, int64_t unixNanos, bool local) {
  std::time_t secs = static_cast<std::time_t>(unixNanos / 1000000000);
  long nanos = static_cast<long>(unixNanos % 1000000000);
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  std::tm tm{};
  if (local) {
    localtime_r(&secs, &tm);
  } else {
    gmtime_r(&secs, &tm);
  }
  while (!layout.empty()) {
    const Chunk c = nextChunk(layout);
    out.append(layout.substr(0, c.prefixLen));
    if (c.std == Std::None) {
      break;
    }
    appendStd(out, c, tm, nanos);
    layout.remove_prefix(c.prefixLen + c.stdLen);
  }
}

void appendGoFloat(std::string& out, double v) {
  std::array<char, 64> sci{};
  auto [end, ec] = std::to_chars(sci.data(), sci.data() + sci.size(), v, std::chars_format::scientific);
  if (ec != std::errc()) {
    out += "NaN";
    return;
  }
  const std::string_view s(sci.data(), static_cast<size_t>(end - sci.data()));
  const size_t e = s.find('e');
  const int exp = e == std::string_view::npos ? 0 : std::atoi(std::string(s.substr(e + 1)).c_str());
  if (exp < -4 || exp >= 6) {
    out += s;
    return;
  }
  std::array<char, 64> fixed{};
  auto [fend, fec] = std::to_chars(fixed.data(), fixed.data() + fixed.size(), v, std::chars_format::fixed);
  out.append(fixed.data(), fec == std::errc() ? fend : fixed.data());
}

void appendGoDuration(std::string& out, int64_t nanos) {
  out += parser::goDurationString(nanos);
}

}  // namespace gatehouse::log
