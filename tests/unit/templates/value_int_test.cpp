// Sprig's int/int64 of a float outside int64's range (`{{int 1e300}}`): Go's conversion gives
// INT64_MIN on amd64, as caddy 2.6.2 prints; the C++ cast it replaced was undefined
// (UBSan float-cast-overflow).
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "templates/go_parse_int.h"
#include "templates/value.h"

using namespace gatehouse::templates;

TEST_CASE("templates: a float past int64's range converts as Go on amd64", "[templates]") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  CHECK(toInt64(Value(1e300)) == kMin);
  CHECK(toInt64(Value(-1e300)) == kMin);
  CHECK(toInt64(Value(1.5e19)) == kMin);
  CHECK(toInt64(Value(9223372036854775808.0)) == kMin);
  CHECK(toInt64(Value(std::nan(""))) == kMin);
  CHECK(toInt64(Value(-9223372036854775808.0)) == kMin);
  CHECK(toInt64(Value(1.9)) == 1);
  CHECK(toInt64(Value(-1.9)) == -1);
  CHECK(toInt64(Value(9.2e18)) == 9200000000000000000LL);
}

TEST_CASE("templates: text converts to an integer as sprig's cast and atoi do", "[templates]") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // cast.ToInt64: zero decimals trimmed, then strconv.ParseInt base 0; 0 on any error.
  CHECK(toInt64(Value(std::string("1e300"))) == 0);
  CHECK(toInt64(Value(std::string("12.5"))) == 0);
  CHECK(toInt64(Value(std::string("12.000"))) == 12);
  CHECK(toInt64(Value(std::string("12."))) == 0);
  CHECK(toInt64(Value(std::string(".0"))) == 0);
  CHECK(toInt64(Value(std::string("010"))) == 8);
  CHECK(toInt64(Value(std::string("0x10"))) == 16);
  CHECK(toInt64(Value(std::string("0o17"))) == 15);
  CHECK(toInt64(Value(std::string("-0b101"))) == -5);
  CHECK(toInt64(Value(std::string("1_000"))) == 1000);
  CHECK(toInt64(Value(std::string("_1"))) == 0);
  CHECK(toInt64(Value(std::string("1__0"))) == 0);
  CHECK(toInt64(Value(std::string(" 7"))) == 0);
  CHECK(toInt64(Value(std::string("+7"))) == 7);
  CHECK(toInt64(Value(std::string("99999999999999999999"))) == 0);
  CHECK(toInt64(Value(std::string("-9223372036854775808"))) == std::numeric_limits<int64_t>::min());
  // strconv.Atoi with its error ignored: base 10 only, the clamped limit past the range.
  CHECK(goAtoi("99999999999999999999") == kMax);
  CHECK(goAtoi("0x10") == 0);
  CHECK(goAtoi("+5") == 5);
  CHECK(goAtoi("1_000") == 0);
}
