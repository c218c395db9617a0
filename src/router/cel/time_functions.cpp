// The timestamp and duration accessors (getFullYear, getHours, ...) with cel-go 0.12's
// results: months, days of the month and days of the year count from 0, getDate from 1,
// Sunday is day 0; a duration's getHours/getMinutes/getSeconds/getMilliseconds are its
// whole length in that unit, truncated toward zero.
#include <chrono>
#include <variant>

#include "router/cel/functions.h"
#include "router/cel/time_zones.h"

namespace gatehouse::router::cel {

namespace {

using Args = std::span<const Value>;
using namespace std::chrono;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

struct Civil {
  int64_t year;
  int64_t month;    // 1-12
  int64_t day;      // 1-31
  int64_t yearDay;  // 1-366
  int64_t weekDay;  // 0 = Sunday
  int64_t hour;
  int64_t minute;
  int64_t second;
  int64_t nanos;
};

Civil civil(int64_t unixSeconds, int64_t nanos) {
  sys_seconds s{seconds{unixSeconds}};
  sys_days day = floor<days>(s);
  year_month_day ymd{day};
  hh_mm_ss hms{s - day};
  sys_days jan1 = sys_days{ymd.year() / January / 1};
  return Civil{static_cast<int>(ymd.year()),
               static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()),
               (day - jan1).count() + 1,
               weekday{day}.c_encoding(),
               hms.hours().count(),
               hms.minutes().count(),
               hms.seconds().count(),
               nanos};
}

// The civil fields of a timestamp in UTC or in args[1]'s zone; an error value when the zone
// is unknown.
std::variant<Civil, Value> fields(Args a) {
  int64_t secs = a[0].i / kNanosPerSecond;
  int64_t nanos = a[0].i % kNanosPerSecond;
  if (nanos < 0) {
    secs -= 1;
    nanos += kNanosPerSecond;
  }
  if (a.size() > 1) {
    auto offset = zoneOffset(a[1].s, secs);
    if (const auto* err = std::get_if<std::string>(&offset)) {
      return Value::error(*err);
    }
    secs += std::get<int64_t>(offset);
  }
  return civil(secs, nanos);
}

template <int64_t (*Pick)(const Civil&)>
Value accessor(const Node&, Args a) {
  auto f = fields(a);
  if (auto* err = std::get_if<Value>(&f)) {
    return *err;
  }
  return Value::integer(Pick(std::get<Civil>(f)));
}

int64_t fullYear(const Civil& c) {
  return c.year;
}
int64_t month(const Civil& c) {
  return c.month - 1;
}
int64_t dayOfYear(const Civil& c) {
  return c.yearDay - 1;
}
int64_t dayOfMonth(const Civil& c) {
  return c.day - 1;
}
int64_t date(const Civil& c) {
  return c.day;
}
int64_t dayOfWeek(const Civil& c) {
  return c.weekDay;
}
int64_t hours(const Civil& c) {
  return c.hour;
}
int64_t minutes(const Civil& c) {
  return c.minute;
}
int64_t secondsOf(const Civil& c) {
  return c.second;
}
int64_t millis(const Civil& c) {
  return c.nanos / 1'000'000;
}

template <int64_t Unit>
Value durationIn(const Node&, Args a) {
  return Value::integer(a[0].i / Unit);  // C++ division truncates toward zero, as Go's
}

}  // namespace

void addTimeOverloads(std::vector<Overload>& out) {
  const Type ts = Type::of(TK::Timestamp);
  const Type str = Type::of(TK::String);
  const Type i = Type::of(TK::Int);
  const std::pair<std::string_view, Impl> stamps[] = {
      {"getFullYear", accessor<fullYear>},   {"getMonth", accessor<month>},
      {"getDayOfYear", accessor<dayOfYear>}, {"getDayOfMonth", accessor<dayOfMonth>},
      {"getDate", accessor<date>},           {"getDayOfWeek", accessor<dayOfWeek>},
      {"getHours", accessor<hours>},         {"getMinutes", accessor<minutes>},
      {"getSeconds", accessor<secondsOf>},   {"getMilliseconds", accessor<millis>},
  };
  for (const auto& [name, impl] : stamps) {
    out.push_back({name, true, {ts}, i, impl});
    out.push_back({name, true, {ts, str}, i, impl});
  }
  const Type d = Type::of(TK::Duration);
  out.push_back({"getHours", true, {d}, i, durationIn<3600 * kNanosPerSecond>});
  out.push_back({"getMinutes", true, {d}, i, durationIn<60 * kNanosPerSecond>});
  out.push_back({"getSeconds", true, {d}, i, durationIn<kNanosPerSecond>});
  out.push_back({"getMilliseconds", true, {d}, i, durationIn<1'000'000>});
}

}  // namespace gatehouse::router::cel
