#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "proxy/response_matcher.h"

using gatehouse::config::Json;
using gatehouse::proxy::replacedStatus;
using gatehouse::proxy::ResponseMatcher;
using gatehouse::proxy::StatusReplacement;
using gatehouse::runtime::HeaderList;

TEST_CASE("response matchers: status codes and classes, header patterns, absence") {
  HeaderList h;
  h.add("X-Tag", "abc");
  h.add("Content-Type", "text/plain");
  auto m = ResponseMatcher::parse(Json::parse(R"({"status_code": [404, 5]})"), "m");
  CHECK(m.matches(404, h));
  CHECK(m.matches(503, h));
  CHECK_FALSE(m.matches(200, h));
  CHECK(ResponseMatcher::parse(Json::parse(R"({"headers": {"x-tag": ["a*"]}})"), "m").matches(200, h));
  CHECK(ResponseMatcher::parse(Json::parse(R"({"headers": {"X-Tag": ["*bc"]}})"), "m").matches(200, h));
  CHECK(ResponseMatcher::parse(Json::parse(R"({"headers": {"X-Tag": ["*b*"]}})"), "m").matches(200, h));
  CHECK_FALSE(ResponseMatcher::parse(Json::parse(R"({"headers": {"X-Tag": ["b*"]}})"), "m").matches(200, h));
  CHECK(ResponseMatcher::parse(Json::parse(R"({"headers": {"X-Tag": []}})"), "m").matches(200, h));
  CHECK_FALSE(ResponseMatcher::parse(Json::parse(R"({"headers": {"X-Tag": null}})"), "m").matches(200, h));
  CHECK(ResponseMatcher::parse(Json::parse(R"({"headers": {"X-None": null}})"), "m").matches(200, h));
  // status and header fields must all hold
  CHECK_FALSE(ResponseMatcher::parse(Json::parse(R"({"status_code": [2], "headers": {"X-Tag": ["zzz"]}})"), "m")
                  .matches(200, h));
  CHECK_THROWS_AS(ResponseMatcher::parse(Json::parse(R"({"body": "x"})"), "m"), gatehouse::provision::ProvisionError);
}

TEST_CASE("replace_status: the first matching entry wins; routes are refused") {
  auto list = StatusReplacement::parseAll(
      Json::parse(R"([{"match": {"status_code": [404]}, "status_code": 200},
                      {"match": {"headers": {"X-Tag": ["a*"]}}, "status_code": "202"},
                      {"match": {"status_code": [5]}, "status_code": 503}])"),
      "hr");
  HeaderList tagged;
  tagged.add("X-Tag", "abc");
  HeaderList none;
  CHECK(replacedStatus(list, 404, none) == 200);
  CHECK(replacedStatus(list, 502, tagged) == 202);
  CHECK(replacedStatus(list, 500, none) == 503);
  CHECK(replacedStatus(list, 201, none) == 201);
  try {
    StatusReplacement::parseAll(Json::parse(R"([{"routes": []}])"), "hr");
    FAIL("routes accepted");
  } catch (const gatehouse::provision::ProvisionError& e) {
    CHECK(std::string(e.what()).find("hr[0].routes") != std::string::npos);
    CHECK(std::string(e.what()).find("not supported yet") != std::string::npos);
  }
  CHECK_THROWS_AS(StatusReplacement::parseAll(Json::parse(R"([{"status_code": "{rp.status}"}])"), "hr"),
                  gatehouse::provision::ProvisionError);
}
