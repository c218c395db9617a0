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
