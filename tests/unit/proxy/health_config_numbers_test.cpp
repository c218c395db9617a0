// Active health check fields that Caddy declares as int: a JSON number with a fraction or past
// int64 is refused, as Go's decoder does (caddy 2.6.2: "cannot unmarshal number ... of type
// int"); get<int>() of such a double was undefined (UBSan float-cast-overflow, found by
// scripts/json_config_fuzz.py --numbers on expect_status 1e300).
#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "proxy/health_checker.h"

using gatehouse::config::Json;
using gatehouse::provision::ProvisionError;
using gatehouse::proxy::ActiveHealth;

TEST_CASE("active health checks refuse non-integer numbers in int fields", "[proxy]") {
  const auto parse = [](const char* key, const Json& value) {
    return ActiveHealth::parse(Json{{"uri", "/health"}, {key, value}}, "h");
  };
  for (const char* key : {"port", "expect_status", "max_size", "passes", "fails"}) {
    CAPTURE(key);
    CHECK_THROWS_AS(parse(key, 1e300), ProvisionError);
    CHECK_THROWS_AS(parse(key, -1e300), ProvisionError);
    CHECK_THROWS_AS(parse(key, 1.5), ProvisionError);
    CHECK_THROWS_AS(parse(key, Json::parse("18446744073709551616")), ProvisionError);
  }
  CHECK(parse("expect_status", 503).expectStatus == 503);
  CHECK(parse("port", 8081).port == 8081);
  CHECK_THROWS_AS(parse("port", 70000), ProvisionError);
}
