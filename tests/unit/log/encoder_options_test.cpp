// Encoder options as Caddy 2.6.2 applies them (expected texts taken from its output).
#include <catch2/catch.hpp>

#include "log/encoder.h"
#include "log/go_time_text.h"

namespace lg = gatehouse::log;
using gatehouse::config::Json;

namespace {

// 2026-11-26T17:28:36.143472123Z, a Thursday.
constexpr int64_t kTs = 1795714116143472123;

std::string goTime(std::string_view layout, int64_t ts = kTs) {
  std::string out;
  lg::appendGoTime(out, layout, ts, false);
  return out;
}

std::string goDuration(int64_t ns) {
  std::string out;
  lg::appendGoDuration(out, ns);
  return out;
}

std::string goFloat(double v) {
  std::string out;
  lg::appendGoFloat(out, v);
  return out;
}

lg::LogEntry entry() {
  lg::LogEntry e;
  e.level = lg::Level::Info;
  e.tsNs = kTs;
  e.logger = "http.log.access.log0";
  e.msg = "handled request";
  e.fields = Json::parse(
      R"({"request":{"uri":"/x","headers":{"Accept":["*/*","a"]}},"duration":0.000038696,"size":2})");
  e.durations = {"duration"};
  return e;
}

std::string encode(const Json& cfg) {
  auto enc = lg::makeEncoder(cfg, "enc", false);
  auto e = entry();
  std::string out;
  enc->encode(e, out);
  return out;
}

}  // namespace

TEST_CASE("Go time layouts format as Go's time.Format", "[log]") {
  CHECK(goTime("2006-01-02T15:04:05Z07:00") == "2026-11-26T17:28:36Z");
  CHECK(goTime("2006-01-02T15:04:05.999999999Z07:00") == "2026-11-26T17:28:36.143472123Z");
  CHECK(goTime("2006/01/02 15:04:05.000") == "2026/11/26 17:28:36.143");
  CHECK(goTime("02/Jan/2006:15:04:05 -0700") == "26/Nov/2026:17:28:36 +0000");
  CHECK(goTime("Mon Jan _2 15:04:05.000000 MST 2006 pm PM 3 03 .999") ==
        "Thu Nov 26 17:28:36.143472 UTC 2026 pm PM 5 05 .143");
  CHECK(goTime("Monday January 2 06 002 __2 1 01 4 5") == "Thursday November 26 26 330 330 11 11 28 36");
  CHECK(goTime("2006-01-02T15:04:05.000Z0700") == "2026-11-26T17:28:36.143Z");
  CHECK(goTime("-07:00:00 Z07 -07 .9", 1795714116000000000) == "+00:00:00 Z +00 ");
  CHECK(goTime("Janx Monx _2006 .0001") == "Janx Monx _2026 .0011");  // ".000" before a digit is no fraction
  CHECK(goTime("3PM", 1795651200000000000) == "12AM");                // midnight
}

TEST_CASE("Go durations print as time.Duration.String", "[log]") {
  CHECK(goDuration(0) == "0s");
  CHECK(goDuration(500) == "500ns");
  CHECK(goDuration(38696) == "38.696\xc2\xb5s");
  CHECK(goDuration(1000) == "1\xc2\xb5s");
  CHECK(goDuration(2003000) == "2.003ms");
  CHECK(goDuration(1500000000) == "1.5s");
  CHECK(goDuration(61000000000) == "1m1s");
  CHECK(goDuration(3600000000000) == "1h0m0s");
  CHECK(goDuration(-1500) == "-1.5\xc2\xb5s");
}

TEST_CASE("Go %v floats switch to exponent form as fmt does", "[log]") {
  CHECK(goFloat(1795714851.9490001) == "1.7957148519490001e+09");
  CHECK(goFloat(1.795714837511313e+12) == "1.795714837511313e+12");
  CHECK(goFloat(123456.5) == "123456.5");
  CHECK(goFloat(1234567) == "1.234567e+06");
  CHECK(goFloat(0.0001) == "0.0001");
  CHECK(goFloat(0.00001) == "1e-05");
}

TEST_CASE("json encoder keys, time, level and duration formats", "[log]") {
  CHECK(encode(Json{{"format", "json"},
                    {"time_format", "iso8601"},
                    {"time_key", "t"},
                    {"message_key", "m"},
                    {"level_key", "lvl"},
                    {"name_key", "n"},
                    {"level_format", "upper"},
                    {"duration_format", "string"}}) ==
        "{\"lvl\":\"INFO\",\"t\":\"2026-11-26T17:28:36.143Z\",\"n\":\"http.log.access.log0\",\"m\":\"handled "
        "request\",\"request\":{\"uri\":\"/x\",\"headers\":{\"Accept\":[\"*/"
        "*\",\"a\"]}},\"duration\":\"38.696\xc2\xb5s\","
        "\"size\":2}\n");
  // Empty keys leave elements out; line_ending replaces the newline.
  CHECK(encode(Json{{"format", "json"},
                    {"time_key", ""},
                    {"level_key", ""},
                    {"message_key", ""},
                    {"name_key", ""},
                    {"line_ending", "|"},
                    {"duration_format", "nano"}}) ==
        R"({"request":{"uri":"/x","headers":{"Accept":["*/*","a"]}},"duration":38696,"size":2}|)");
  // Caddy 2.6.2: an unknown duration format writes nanoseconds, an unknown level format no level.
  CHECK(encode(Json{{"format", "json"},
                    {"duration_format", "ms"},
                    {"level_format", "x"},
                    {"time_format", "unix_nano"}})
            .starts_with(R"({"ts":1795714116143472123,"logger")"));
  CHECK(encode(Json{{"format", "json"}, {"level_format", "color"}, {"time_format", "unix_milli_float"}})
            .starts_with("{\"level\":\"\\u001b[34mINFO\\u001b[0m\",\"ts\":1795714116143.4722,"));
}

TEST_CASE("console encoder: Caddy's defaults and spaced JSON fields", "[log]") {
  CHECK(encode(Json{{"format", "console"}}) ==
        "2026/11/26 17:28:36.143\t\x1b[34mINFO\x1b[0m\thttp.log.access.log0\thandled request\t"
        "{\"request\": {\"uri\": \"/x\", \"headers\": {\"Accept\": [\"*/*\", \"a\"]}}, \"duration\": "
        "0.000038696, "
        "\"size\": 2}\n");
  CHECK(encode(Json{{"format", "console"}, {"time_format", "unix_seconds_float"}, {"level_format", "lower"}})
            .starts_with("1.7957141161434722e+09\tinfo\t"));
  CHECK(encode(Json{{"format", "console"},
                    {"time_key", ""},
                    {"level_key", ""},
                    {"name_key", ""},
                    {"message_key", ""}})
            .starts_with("{\"request\": {"));
}

TEST_CASE("encoder options of the wrong type are refused", "[log]") {
  CHECK_THROWS_WITH(lg::makeEncoder(Json{{"format", "json"}, {"time_key", 3}}, "enc", false),
                    Catch::Contains("enc.time_key"));
  CHECK_THROWS_WITH(lg::makeEncoder(Json{{"format", "json"}, {"bogus", "x"}}, "enc", false),
                    Catch::Contains("not supported yet"));
}
