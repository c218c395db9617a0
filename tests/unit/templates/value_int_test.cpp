// Sprig's int/int64 of a float outside int64's range (`{{int 1e300}}`): Go's conversion gives
// INT64_MIN on amd64, as caddy 2.6.2 prints; the C++ cast it replaced was undefined
// (UBSan float-cast-overflow).
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "templates/value.h"

using namespace gatehouse::templates;

TEST_CASE("templates: a float past int64's range converts as Go on amd64", "[templates]") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(toInt64(Value(1e300)) == kMin);
  CHECK(toInt64(Value(-1e300)) == kMin);
  CHECK(toInt64(Value(1.5e19)) == kMin);
  CHECK(toInt64(Value(9223372036854775808.0)) == kMin);
  CHECK(toInt64(Value(std::nan(""))) == kMin);
  CHECK(toInt64(Value(std::string("1e300"))) == kMin);
  CHECK(toInt64(Value(-9223372036854775808.0)) == kMin);
  CHECK(toInt64(Value(1.9)) == 1);
  CHECK(toInt64(Value(-1.9)) == -1);
  CHECK(toInt64(Value(9.2e18)) == 9200000000000000000LL);
}
