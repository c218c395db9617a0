// POSIX TZ rules as Go reads a TZif footer (past the file's last transition).
#include "router/cel/posix_tz.h"

#include <catch2/catch.hpp>

using gatehouse::router::cel::posixRuleOffset;

TEST_CASE("posix tz: fixed zones, northern and southern DST, negative DST, odd forms") {
  constexpr int64_t kJul2040 = 2224756800;  // 2040-07-01T12:00:00Z
  constexpr int64_t kJan2040 = 2210241600;  // 2040-01-15T12:00:00Z
  CHECK(posixRuleOffset("JST-9", kJul2040) == 9 * 3600);
  CHECK(posixRuleOffset("<+0330>-3:30", kJul2040) == 3 * 3600 + 1800);
  CHECK(posixRuleOffset("CET-1CEST,M3.5.0,M10.5.0/3", kJul2040) == 7200);
  CHECK(posixRuleOffset("CET-1CEST,M3.5.0,M10.5.0/3", kJan2040) == 3600);
  CHECK(posixRuleOffset("AEST-10AEDT,M10.1.0,M4.1.0/3", kJul2040) == 36000);
  CHECK(posixRuleOffset("AEST-10AEDT,M10.1.0,M4.1.0/3", kJan2040) == 39600);
  CHECK(posixRuleOffset("IST-1GMT0,M10.5.0,M3.5.0/1", kJul2040) == 3600);
  CHECK(posixRuleOffset("IST-1GMT0,M10.5.0,M3.5.0/1", kJan2040) == 0);
  CHECK(posixRuleOffset("EST5EDT", kJul2040) == -4 * 3600);  // Go's default US rule
  // 2040-03-11 is the second Sunday of March: EST until 07:00Z, EDT from then.
  CHECK(posixRuleOffset("EST5EDT,M3.2.0,M11.1.0", 2215061999) == -5 * 3600);
  CHECK(posixRuleOffset("EST5EDT,M3.2.0,M11.1.0", 2215062000) == -4 * 3600);
  CHECK(posixRuleOffset("XX", kJul2040) == std::nullopt);
  CHECK(posixRuleOffset("CET-1CEST,M13.5.0,M10.5.0", kJul2040) == std::nullopt);
}
