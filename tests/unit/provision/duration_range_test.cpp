// Durations of a JSON config past Go's range (int64 nanoseconds, about 292 years): caddy 2.6.2
// refuses them (`time: invalid duration`); the double they were summed in must never be
// converted to int64 out of range (undefined behaviour, found by UBSan's float-cast-overflow
// on mutated JSON configs, scripts/json_config_fuzz.py).

#include <catch2/catch.hpp>

#include "dns/dns_challenge_settings.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"

using gatehouse::config::Json;
namespace dns = gatehouse::acme::dns;

TEST_CASE("JSON config durations past int64 nanoseconds are refused, not converted") {
  using gatehouse::provision::parseDuration;
  CHECK_THROWS_AS(parseDuration(Json("999999999999999999999h"), "x"), gatehouse::provision::ProvisionError);
  CHECK_THROWS_AS(parseDuration(Json("-999999999999999999999h"), "x"), gatehouse::provision::ProvisionError);
  CHECK_THROWS_AS(parseDuration(Json("2562048h"), "x"), gatehouse::provision::ProvisionError);
  CHECK_THROWS_AS(parseDuration(Json("106752d"), "x"), gatehouse::provision::ProvisionError);
  // Go's largest: 2562047h47m16.854775807s.
  CHECK(parseDuration(Json("2562047h"), "x").count() == 2562047LL * 3600 * 1000);
  CHECK(parseDuration(Json("-2562047h"), "x").count() == -2562047LL * 3600 * 1000);
  CHECK(parseDuration(Json("106751d"), "x").count() == 106751LL * 86400 * 1000);
}

TEST_CASE("DNS challenge durations past int64 nanoseconds are refused, not converted") {
  const auto settings = [](const Json& delay) {
    return dns::parseDnsChallenge(
        Json{{"provider", {{"name", "duckdns"}, {"api_token", "t"}}}, {"propagation_delay", delay}});
  };
  CHECK_THROWS_AS(settings("999999999999999999999h"), dns::DnsSettingsError);
  CHECK_THROWS_AS(settings("-999999999999999999999h"), dns::DnsSettingsError);
  CHECK_THROWS_AS(settings("2562048h"), dns::DnsSettingsError);
  CHECK(settings("2562047h").propagationDelay == std::chrono::hours(2562047));
  CHECK(settings("1m30s").propagationDelay == std::chrono::seconds(90));
}
