#include "proxy/response_matcher.h"

#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "proxy/response_routes.h"

using gatehouse::config::Json;
using gatehouse::proxy::firstMatching;
using gatehouse::proxy::ResponseHandler;
using gatehouse::proxy::ResponseMatcher;
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
  CHECK_FALSE(
      ResponseMatcher::parse(Json::parse(R"({"status_code": [2], "headers": {"X-Tag": ["zzz"]}})"), "m")
          .matches(200, h));
  CHECK_THROWS_AS(ResponseMatcher::parse(Json::parse(R"({"body": "x"})"), "m"),
                  gatehouse::provision::ProvisionError);
}

TEST_CASE("handle_response: the first matching entry wins; routes compile, proxies inside too") {
  int compiled = 0;
  gatehouse::handlers::RouteCompiler compile = [&](const std::vector<gatehouse::config::Route>&,
                                                   const std::string&) {
    ++compiled;
    return gatehouse::router::RouteList{};
  };
  auto list = ResponseHandler::parseAll(Json::parse(R"([{"match": {"status_code": [404]}, "status_code": 200},
                      {"match": {"headers": {"X-Tag": ["a*"]}}, "status_code": "202"},
                      {"match": {"status_code": [5]}, "routes": []},
                      {"status_code": 299}])"),
                                        "hr", compile);
  CHECK(compiled == 1);
  HeaderList tagged;
  tagged.add("X-Tag", "abc");
  HeaderList none;
  CHECK(firstMatching(list, 404, none)->status == 200);
  CHECK(firstMatching(list, 502, tagged)->status == 202);
  CHECK(firstMatching(list, 500, none)->routes != nullptr);
  CHECK(firstMatching(list, 201, none)->status == 299);
  // A proxy inside the routes is accepted (it hands the request on to another upstream).
  auto proxied = ResponseHandler::parseAll(
      Json::parse(
          R"([{"routes": [{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "a:1"}]}]}]}])"),
      "hr", compile);
  CHECK(proxied.size() == 1);
  CHECK_THROWS_AS(ResponseHandler::parseAll(Json::parse(R"([{"status_code": "abc"}])"), "hr", compile),
                  gatehouse::provision::ProvisionError);
  auto templ = ResponseHandler::parseAll(Json::parse(R"([{"status_code": "{rp.status}"}])"), "hr", compile);
  REQUIRE(templ.size() == 1);
  CHECK(templ[0].statusTemplate);
}
