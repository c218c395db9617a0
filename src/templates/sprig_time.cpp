// Sprig's date functions over Go time values (time_value.h).

#include <sys/stat.h>

#include <array>

#include "log/go_time_text.h"
#include "router/cel/time_values.h"
#include "templates/go_time_parse.h"
#include "templates/sprig.h"
#include "templates/time_value.h"

namespace gatehouse::templates {

namespace {

// sprig's date argument: a time, or a unix time in seconds (int); anything else is now.
int64_t dateArg(const Value& v) {
  if (auto t = timeNanos(v)) {
    return *t;
  }
  if (v.isInt()) {
    return v.asInt() * 1000000000;
  }
  return nowNanos();
}

bool zoneIsLocal(const std::string& zone) {
  if (zone == "UTC" || zone.empty()) {
    return false;
  }
  if (zone == "Local") {
    return true;
  }
  // Go's LoadLocation fails for a name with no zoneinfo file, and Sprig then uses UTC
  struct stat st {};
  if (zone.find("..") != std::string::npos || zone[0] == '/' || zone[0] == '\\' ||
      ::stat(("/usr/share/zoneinfo/" + zone).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  throw TemplateError("time zone \"" + zone + "\" is not supported yet (only UTC and Local)");
}

}  // namespace

void addSprigTime(FuncMap& f) {
  // time.ParseInLocation(layout, text, time.Local).
  f["mustToDate"] = [](Args& a) {
    wantArgs(a, 2, "mustToDate");
    return makeTime(goParseTime(strval(a[0]), strval(a[1]), true));
  };
  f["toDate"] = [](Args& a) {
    wantArgs(a, 2, "toDate");
    try {
      return makeTime(goParseTime(strval(a[0]), strval(a[1]), true));
    } catch (const TemplateError& e) {
      if (std::string_view(e.what()).ends_with("not supported yet")) {
        throw;
      }
      // sprig gives Go's zero time, which this time value cannot hold.
      throw TemplateError("toDate: \"" + strval(a[1]) + "\" does not match \"" + strval(a[0]) +
                          "\" (the zero time sprig gives is not supported yet)");
    }
  };
  f["now"] = [](Args& a) {
    wantArgs(a, 0, "now");
    return makeTime(nowNanos());
  };
  f["date"] = [](Args& a) {
    wantArgs(a, 2, "date");
    std::string out;
    log::appendGoTime(out, strval(a[0]), dateArg(a[1]), true);
    return Value(out);
  };
  f["dateInZone"] = [](Args& a) {
    wantArgs(a, 3, "dateInZone");
    std::string out;
    log::appendGoTime(out, strval(a[0]), dateArg(a[1]), zoneIsLocal(strval(a[2])));
    return Value(out);
  };
  f["date_in_zone"] = f["dateInZone"];
  f["htmlDate"] = [](Args& a) {
    wantArgs(a, 1, "htmlDate");
    std::string out;
    log::appendGoTime(out, "2006-01-02", dateArg(a[0]), true);
    return Value(out);
  };
  f["htmlDateInZone"] = [](Args& a) {
    wantArgs(a, 2, "htmlDateInZone");
    std::string out;
    log::appendGoTime(out, "2006-01-02", dateArg(a[0]), zoneIsLocal(strval(a[1])));
    return Value(out);
  };
  f["unixEpoch"] = [](Args& a) {
    wantArgs(a, 1, "unixEpoch");
    auto t = timeNanos(a[0]);
    if (!t) {
      throw TemplateError("unixEpoch: wrong type for value; expected time.Time; got " + kindName(a[0]));
    }
    int64_t secs = *t / 1000000000;
    if (*t < 0 && *t % 1000000000 != 0) {
      --secs;
    }
    return Value(std::to_string(secs));
  };
  f["ago"] = [](Args& a) {
    wantArgs(a, 1, "ago");
    const int64_t d = nowNanos() - dateArg(a[0]);
    std::string out;
    log::appendGoDuration(out, d / 1000000000 * 1000000000);  // rounded to seconds
    return Value(out);
  };
  // sprig's durationRound: the largest whole unit (y mo d h m s) of a duration string or of
  // the time since a time value; any other type (a template's int constant) is 0s.
  f["durationRound"] = [](Args& a) {
    wantArgs(a, 1, "durationRound");
    int64_t d = 0;
    if (a[0].isString()) {
      d = router::cel::parseDuration(a[0].asString()).value_or(0);
    } else if (auto t = timeNanos(a[0])) {
      d = nowNanos() - *t;
    }
    uint64_t u = static_cast<uint64_t>(d);
    if (d < 0) {
      u = -u;
    }
    constexpr uint64_t kSec = 1000000000;
    constexpr std::array<std::pair<uint64_t, const char*>, 6> kUnits = {{{kSec * 3600 * 24 * 365, "y"},
                                                                         {kSec * 3600 * 24 * 30, "mo"},
                                                                         {kSec * 3600 * 24, "d"},
                                                                         {kSec * 3600, "h"},
                                                                         {kSec * 60, "m"},
                                                                         {kSec, "s"}}};
    for (const auto& [unit, suffix] : kUnits) {
      if (u > unit) {
        return Value(std::to_string(u / unit) + suffix);
      }
    }
    return Value("0s");
  };
  f["duration"] = [](Args& a) {
    wantArgs(a, 1, "duration");
    std::string out;
    // sprig takes a string or an int64; a template's int constant is neither and gives 0s.
    log::appendGoDuration(out, a[0].isString() ? toInt64(a[0]) * 1000000000 : 0);
    return Value(out);
  };
}

}  // namespace gatehouse::templates
