#include "gatehouse/parser/go_duration.h"

#include <catch2/catch.hpp>
#include <limits>

using gatehouse::parser::parseGoDuration;

TEST_CASE("Go durations: values exact to the nanosecond, as Go's integer arithmetic gives") {
  CHECK(parseGoDuration("5s") == 5'000'000'000LL);
  CHECK(parseGoDuration("+1h30m") == 5'400'000'000'000LL);
  CHECK(parseGoDuration("-1.5h") == -5'400'000'000'000LL);
  CHECK(parseGoDuration(".5s") == 500'000'000LL);
  CHECK(parseGoDuration("5.s") == 5'000'000'000LL);
  CHECK(parseGoDuration("1.000000001s") == 1'000'000'001LL);
  CHECK(parseGoDuration("1\xC2\xB5s") == 1000);
  CHECK(parseGoDuration("0.1ns") == 0);
  CHECK(parseGoDuration("0") == 0);
  CHECK(parseGoDuration("-0") == 0);
  // The largest duration Go accepts; a double would round it.
  CHECK(parseGoDuration("2562047h47m16.854775807s") == 9'223'372'036'854'775'807LL);
  CHECK(parseGoDuration("9223372036854775807ns") == 9'223'372'036'854'775'807LL);
}

TEST_CASE("Go durations: malformed input and overflow carry Go's error text") {
  std::string err;
  CHECK_FALSE(parseGoDuration("", &err));
  CHECK(err == "time: invalid duration \"\"");
  CHECK_FALSE(parseGoDuration("-", &err));
  CHECK(err == "time: invalid duration \"-\"");
  CHECK_FALSE(parseGoDuration(".s", &err));
  CHECK(err == "time: invalid duration \".s\"");
  CHECK_FALSE(parseGoDuration("5", &err));
  CHECK(err == "time: missing unit in duration \"5\"");
  CHECK_FALSE(parseGoDuration("1.5.5s", &err));
  CHECK(err == "time: missing unit in duration \"1.5.5s\"");
  CHECK_FALSE(parseGoDuration("1d", &err));
  CHECK(err == "time: unknown unit \"d\" in duration \"1d\"");
  CHECK_FALSE(parseGoDuration("1h\x01", &err));
  CHECK(err == "time: unknown unit \"h\\x01\" in duration \"1h\\x01\"");
  CHECK_FALSE(parseGoDuration("s", &err));
  CHECK(err == "time: invalid duration \"s\"");
  CHECK_FALSE(parseGoDuration("2562047h47m16.854775808s", &err));
  CHECK(err == "time: invalid duration \"2562047h47m16.854775808s\"");
  CHECK_FALSE(parseGoDuration("9223372036854775808ns", &err));
  CHECK_FALSE(parseGoDuration("99999999999999999999h", &err));
}

TEST_CASE("Go durations: printed as time.Duration.String prints them") {
  using gatehouse::parser::goDurationString;
  CHECK(goDurationString(0) == "0s");
  CHECK(goDurationString(-129'600'000'000'000LL) == "-36h0m0s");  // -1.5d, as caddy's roll_keep_for error
  CHECK(goDurationString(1'500'000'000LL) == "1.5s");
  CHECK(goDurationString(-2'003'000LL) == "-2.003ms");
  CHECK(goDurationString(std::numeric_limits<int64_t>::min()) == "-2562047h47m16.854775808s");
}
