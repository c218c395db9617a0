#include <catch2/catch.hpp>

#include "templates/go_time_parse.h"
#include "templates/humanize_time.h"
#include "templates/value.h"

using namespace gatehouse::templates;

namespace {
constexpr int64_t kSec = 1000000000;
}

TEST_CASE("humanize time: go-humanize's magnitudes", "[templates]") {
  const int64_t now = 1700000000 * kSec;
  CHECK(humanizeTime(now, now) == "now");
  CHECK(humanizeTime(now - kSec, now) == "1 second ago");
  CHECK(humanizeTime(now - 59 * kSec, now) == "59 seconds ago");
  CHECK(humanizeTime(now + 90 * kSec, now) == "1 minute from now");
  CHECK(humanizeTime(now - 3 * 3600 * kSec, now) == "3 hours ago");
  CHECK(humanizeTime(now - 8 * 86400 * kSec, now) == "1 week ago");
  CHECK(humanizeTime(now - 400 * 86400 * kSec, now) == "1 year ago");
  CHECK(humanizeTime(now - 600 * 86400 * kSec, now) == "2 years ago");
  CHECK(humanizeTime(0, now) == "a long while ago");
}

TEST_CASE("Go time.Parse layouts and errors", "[templates]") {
  CHECK(goParseTime("Mon, 02 Jan 2006 15:04:05 -0700", "Tue, 14 Nov 2023 22:13:20 +0000", false) ==
        1700000000 * kSec);
  CHECK(goParseTime("2006-01-02T15:04:05.999Z07:00", "2023-11-14T23:13:20.5+01:00", false) ==
        1700000000 * kSec + 500000000);
  CHECK(goParseTime("Jan _2 3:04PM 06", "Nov 14 10:13PM 23", false) == (1700000000 - 20) * kSec);
  CHECK_THROWS_WITH(goParseTime("2006-01-02", "2023-02-29", false),
                    "parsing time \"2023-02-29\": day out of range");
  CHECK_THROWS_WITH(goParseTime("2006-01-02", "2023-1-01", false),
                    "parsing time \"2023-1-01\" as \"2006-01-02\": cannot parse \"1-01\" as \"01\"");
  CHECK_THROWS_WITH(goParseTime("2006", "2023x", false), "parsing time \"2023x\": extra text: \"x\"");
}
