// A JSON config whose values have the wrong type is refused with the value's JSON path, never
// an abort (found by mutating the corpus's configs through `gatehouse validate --adapter json`).
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "gatehouse/config/site_graph.h"

using gatehouse::config::configFromJson;
using gatehouse::config::Json;

namespace {
std::string refusal(const char* text) {
  try {
    configFromJson(Json::parse(text));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}
}  // namespace

TEST_CASE("JSON config: automatic_https flags must be booleans", "[config][json]") {
  CHECK(refusal(R"({"apps":{"http":{"servers":{"s":{"automatic_https":{"disable":"yes"}}}}}})") ==
        "apps.http.servers.s.automatic_https.disable: expected a boolean, got string");
  CHECK(refusal(
            R"({"apps":{"http":{"servers":{"s":{"automatic_https":{"ignore_loaded_certificates":[]}}}}}})") ==
        "apps.http.servers.s.automatic_https.ignore_loaded_certificates: expected a boolean, got array");
  CHECK(refusal(R"({"apps":{"http":{"servers":{"s":{"automatic_https":{"disable_redirects":true}}}}}})") ==
        "accepted");
}

TEST_CASE("JSON config: automation policy key_type and on_demand are typed", "[config][json]") {
  CHECK(refusal(R"({"apps":{"tls":{"automation":{"policies":[{"key_type":{}}]}}}})") ==
        "apps.tls.automation.policies[0].key_type: expected a string, got object");
  CHECK(refusal(R"({"apps":{"tls":{"automation":{"policies":[{"on_demand":1}]}}}})") ==
        "apps.tls.automation.policies[0].on_demand: expected a boolean, got number");
}

// Go's decoder leaves a struct field, map or slice at its zero value for null, so caddy 2.6.2
// validates these (found by scripts/json_config_fuzz.py --vs-caddy).
TEST_CASE("JSON config: null fields decode as absent, as Go's do", "[config][json]") {
  CHECK(refusal(R"({"apps":null})") == "accepted");
  CHECK(refusal(R"({"apps":{"http":{"servers":null}}})") == "accepted");
  CHECK(refusal(R"({"apps":{"http":{"servers":{"s":{"listen":null,"routes":null,"errors":null}}}}})") ==
        "accepted");
  CHECK(refusal(R"({"apps":{"http":{"servers":{"s":{"routes":[{"match":null,"handle":null}]}}}}})") ==
        "accepted");
  CHECK(refusal(R"({"apps":{"http":{"servers":{"s":{"errors":{"routes":null}}}}}})") == "accepted");
  CHECK(refusal(R"({"apps":{"tls":{"automation":null}}})") == "accepted");
  CHECK(refusal(R"({"apps":{"tls":{"automation":{"policies":[{"subjects":null,"issuers":null}]}}}})") ==
        "accepted");
  // A null module is no module: caddy refuses these.
  CHECK(refusal(R"({"apps":{"http":null}})") == "apps.http: expected an object, got null");
  CHECK(refusal(R"({"storage":null})") == "storage: module name not specified with key 'module'");
}

TEST_CASE("JSON config: a server's errors object holds only routes", "[config][json]") {
  CHECK(refusal(R"({"apps":{"http":{"servers":{"s":{"errors":{"servers":{}}}}}}})") ==
        "apps.http.servers.s.errors.servers: unknown field \"servers\" (an errors object holds only routes)");
}
