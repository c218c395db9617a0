#include "router/system_placeholders.h"

#include <catch2/catch.hpp>
#include <regex>

#include "router/body_capture.h"
#include "router/placeholders.h"

using gatehouse::router::lookupPlaceholder;
using gatehouse::runtime::Exchange;

namespace {
std::string lookup(const Exchange& ex, std::string_view key) {
  std::string out;
  REQUIRE(lookupPlaceholder(key, ex, out));
  return out;
}
}  // namespace

TEST_CASE("system placeholders print Go's names for the platform") {
  Exchange ex;
  CHECK(lookup(ex, "system.os") == "linux");
  CHECK(lookup(ex, "system.slash") == "/");
  CHECK_FALSE(lookup(ex, "system.arch").empty());
  CHECK(lookup(ex, "system.wd").starts_with("/"));
  std::string out;
  CHECK_FALSE(lookupPlaceholder("system.nope", ex, out));
}

TEST_CASE("time.now prints time.Time.String() with its monotonic reading") {
  Exchange ex;
  const std::regex shape(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+ m=\+\d+\.\d{9})");
  CHECK(std::regex_match(lookup(ex, "time.now"), shape));
}

TEST_CASE("request duration placeholders: Go's Duration.String() and plain milliseconds") {
  Exchange ex;
  ex.request.start = std::chrono::steady_clock::now() - std::chrono::milliseconds(1500);
  CHECK(std::regex_match(lookup(ex, "http.request.duration"), std::regex(R"(1\.5\d*s)")));
  // strconv.FormatFloat(v, 'f', -1, 64): never an exponent.
  CHECK(std::regex_match(lookup(ex, "http.request.duration_ms"), std::regex(R"(15\d\d(\.\d+)?)")));
}

TEST_CASE("{http.request.body} is known only once a capture read the body") {
  Exchange ex;
  std::string out;
  CHECK_FALSE(lookupPlaceholder("http.request.body", ex, out));
  gatehouse::router::storeBodyCapture(ex, "0123456789abc", false);
  CHECK(lookup(ex, "http.request.body") == "0123456789abc");
  ex.request.maxBodyBytes = 10;  // request_body max_size: Go's MaxBytesReader stops there
  CHECK(lookup(ex, "http.request.body") == "0123456789");
}

TEST_CASE("milliseconds print as Caddy prints d.Seconds()*1e3") {
  using gatehouse::router::goMilliseconds;
  CHECK(goMilliseconds(523'000) == "0.523");
  CHECK(goMilliseconds(1'500'000'000) == "1500");
  CHECK(goMilliseconds(77'893) == "0.07789299999999999");  // float rounding shows, as in caddy
  CHECK(goMilliseconds(0) == "0");
}
