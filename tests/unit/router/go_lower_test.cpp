#include "router/go_lower.h"

#include <catch2/catch.hpp>

using gatehouse::router::goToLower;

// Go's strings.ToLower, which Caddy's path matcher applies (found by match_fuzz.py:
// "/CAFÉ.TXT" matched "/café*" in caddy 2.6.2, not in Gatehouse).
TEST_CASE("goToLower: ASCII, Unicode simple lower case, invalid UTF-8 as U+FFFD") {
  CHECK(goToLower("/API/V1") == "/api/v1");
  CHECK(goToLower("/CAF\xC3\x89.TXT") == "/caf\xC3\xA9.txt");                  // É -> é
  CHECK(goToLower("\xCE\xA3\xCE\x91") == "\xCF\x83\xCE\xB1");                  // ΣΑ -> σα
  CHECK(goToLower("\xD0\x96") == "\xD0\xB6");                                  // Ж -> ж
  CHECK(goToLower("/caf\xC3\xA9") == "/caf\xC3\xA9");                          // already lower
  CHECK(goToLower("/A\xFF") == "/a\xEF\xBF\xBD");                              // invalid byte
  CHECK(goToLower("\xC3\x89\xC3") == "\xC3\xA9\xEF\xBF\xBD");                  // cut rune
  CHECK(goToLower("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(goToLower("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
}
