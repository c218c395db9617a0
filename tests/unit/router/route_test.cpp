#include <catch2/catch.hpp>
#include <regex>

#include "gatehouse/config/site_graph.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"

using gatehouse::config::configFromJson;
using gatehouse::config::Json;
using gatehouse::provision::provisionRuntime;
using gatehouse::runtime::Exchange;

namespace {
std::unique_ptr<gatehouse::provision::Runtime> build(const std::string& routes) {
  auto cfg =
      Json::parse(R"({"apps":{"http":{"servers":{"srv0":{"listen":[":0"],"routes":)" + routes + "}}}}}");
  return provisionRuntime(configFromJson(cfg));
}

Exchange run(const gatehouse::provision::Runtime& rt, const std::string& path,
             const std::string& host = "a.test") {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.host = host;
  ex.request.path = path;
  ex.request.rawPath = path;
  ex.request.origUri = path;
  rt.servers[0]->routes.run(ex);
  return ex;
}
}  // namespace

TEST_CASE("routes run in order; middleware continues, responders stop") {
  auto rt = build(R"([
    {"handle":[{"handler":"headers","response":{"set":{"X-A":["1"]}}}]},
    {"match":[{"path":["/x"]}],"handle":[{"handler":"static_response","body":"x"}]},
    {"handle":[{"handler":"static_response","body":"fallback","status_code":404}]}
  ])");
  auto ex = run(*rt, "/x");
  CHECK(ex.response.status == 200);
  CHECK(ex.response.body == "x");
  CHECK(ex.response.headers.get("X-A") == "1");
  auto other = run(*rt, "/y");
  CHECK(other.response.status == 404);
  CHECK(other.response.body == "fallback");
}

TEST_CASE("only the first matching route of a group runs, across subroutes") {
  auto rt = build(R"([
    {"group":"g","match":[{"path":["/a*"]}],"handle":[{"handler":"vars","v":"first"}]},
    {"group":"g","handle":[{"handler":"vars","v":"second"}]},
    {"handle":[{"handler":"subroute","routes":[{"group":"g","handle":[{"handler":"vars","v":"third"}]}]}]},
    {"handle":[{"handler":"static_response","body":"{http.vars.v}"}]}
  ])");
  CHECK(run(*rt, "/abc").response.body == "first");
  CHECK(run(*rt, "/zzz").response.body == "second");
}

TEST_CASE("a terminal route ends the chain, also from inside a subroute") {
  auto rt = build(R"([
    {"handle":[{"handler":"subroute","routes":[{"handle":[{"handler":"vars","v":"1"}],"terminal":true}]}]},
    {"handle":[{"handler":"static_response","body":"unreached"}]}
  ])");
  auto ex = run(*rt, "/");
  CHECK(ex.response.status == 0);  // the session turns this into Caddy's empty 200
  CHECK(*ex.var("v") == "1");
}

TEST_CASE("rewrite changes what later matchers see") {
  auto rt = build(R"([
    {"match":[{"path":["/api/*"]}],"handle":[{"handler":"rewrite","strip_path_prefix":"/api"}]},
    {"match":[{"path":["/v1/*"]}],"handle":[{"handler":"static_response","body":"{http.request.uri.path} {http.request.orig_uri}"}]}
  ])");
  CHECK(run(*rt, "/api/v1/users").response.body == "/v1/users /api/v1/users");
  auto rt2 = build(R"([
    {"handle":[{"handler":"rewrite","uri":"/new{http.request.uri.path}?a=b"}]},
    {"handle":[{"handler":"static_response","body":"{http.request.uri}"}]}
  ])");
  CHECK(run(*rt2, "/old").response.body == "/new/old?a=b");
}

TEST_CASE("static_response content type, status placeholders, headers") {
  auto rt = build(R"([
    {"match":[{"path":["/j"]}],"handle":[{"handler":"static_response","body":"{\"a\":1}"}]},
    {"match":[{"path":["/s"]}],"handle":[{"handler":"static_response","status_code":"{http.request.uri.query.c}","headers":{"X-Y":["{http.request.host}"]}}]},
    {"handle":[{"handler":"static_response","body":"hi {unknown}"}]}
  ])");
  auto j = run(*rt, "/j");
  CHECK(j.response.headers.get("Content-Type") == "application/json");
  auto t = run(*rt, "/t");
  CHECK(t.response.body == "hi {unknown}");
  CHECK(t.response.headers.get("Content-Type") == "text/plain; charset=utf-8");
  Exchange ex;
  ex.request.method = "GET";
  ex.request.host = "h";
  ex.request.path = "/s";
  ex.request.query = "c=418";
  ex.request.hasQuery = true;
  rt->servers[0]->routes.run(ex);
  CHECK(ex.response.status == 418);
  CHECK(ex.response.headers.get("X-Y") == "h");
}

TEST_CASE("unsupported modules and options stop provisioning with their JSON path") {
  using gatehouse::provision::ProvisionError;
  // A reverse_proxy without upstreams starts, as in Caddy (503 per request: compat proxy_no_upstreams).
  CHECK_NOTHROW(build(R"([{"handle":[{"handler":"reverse_proxy"}]}])"));
  CHECK_THROWS_WITH(
      build(R"([{"handle":[{"handler":"subroute","routes":[{"handle":[{"handler":"log_append"}]}]}]}])"),
      "apps.http.servers.srv0.routes[0].handle[0].routes[0].handle[0]: handler 'log_append' "
      "(Caddyfile directive `log_append`) is not supported yet");
  CHECK_THROWS_WITH(
      build(R"([{"handle":[{"handler":"file_server","etag_file_extensions":[".x"]}]}])"),
      Catch::Contains("file_server option 'etag_file_extensions' (Caddy 2.8+) is not supported yet"));
  CHECK_THROWS_WITH(build(R"([{"handle":[{"handler":"file_server","browse":{"sort":["size"]}}]}])"),
                    Catch::Contains("browse option 'sort' (Caddy 2.9+) is not supported yet"));
  // A wildcard site without a DNS provider starts, as in Caddy (its orders fail at run time).
  CHECK_NOTHROW(
      build(R"([{"match":[{"host":["*.example.com"]}],"handle":[{"handler":"static_response"}]}])"));
  auto cfg = Json::parse(R"({"apps":{"http":{"servers":{"srv0":{"listen":[":0"],
    "automatic_https":{"disable":true},
    "routes":[{"match":[{"host":["example.com"]}],"handle":[{"handler":"static_response"}]}]}}}}})");
  CHECK_NOTHROW(provisionRuntime(configFromJson(cfg)));
  auto onHttpPort = Json::parse(R"({"apps":{"http":{"http_port":8081,"servers":{"srv0":{"listen":[":8081"],
    "routes":[{"match":[{"host":["example.com"]}],"handle":[{"handler":"static_response"}]}]}}}}})");
  CHECK_NOTHROW(provisionRuntime(configFromJson(onHttpPort)));
}

TEST_CASE("durations and listen addresses") {
  using gatehouse::provision::parseDuration;
  CHECK(parseDuration(Json("1m30s"), "x").count() == 90'000);
  CHECK(parseDuration(Json(2'000'000'000), "x").count() == 2'000);
  CHECK(parseDuration(Json("1d"), "x").count() == 86'400'000);
  // Go's forms in JSON strings: micro sign or Greek mu, a sign; a positive sub-millisecond
  // duration stays positive (1 ms), as zero means "default" or "off" to many callers.
  CHECK(parseDuration(Json("250\u00b5s"), "x").count() == 1);
  CHECK(parseDuration(Json("1500\u03bcs"), "x").count() == 1);
  CHECK(parseDuration(Json(250'000), "x").count() == 1);
  CHECK(parseDuration(Json("-1.5s"), "x").count() == -1'500);
  CHECK(parseDuration(Json("+2s"), "x").count() == 2'000);
  CHECK(parseDuration(Json("0"), "x").count() == 0);
  CHECK_THROWS(parseDuration(Json("-"), "x"));
  CHECK_THROWS(parseDuration(Json("5\u00b5"), "x"));
  std::vector<gatehouse::provision::ListenSpec> out;
  gatehouse::provision::parseListen("[::1]:8080", "l", out);
  gatehouse::provision::parseListen("tcp4/127.0.0.1:9000-9001", "l", out);
  REQUIRE(out.size() == 3);
  CHECK(out[0].host == "::1");
  CHECK(out[0].port == 8080);
  CHECK(out[2].network == "tcp4");
  CHECK(out[2].port == 9001);
  CHECK_THROWS(gatehouse::provision::parseListen("unixgram//tmp/sock", "l", out));  // see listen_address_test
}

TEST_CASE("fields of the wrong JSON type are provisioning errors, not crashes") {
  CHECK_THROWS_WITH(
      build(R"([{"handle":[{"handler":"static_response","close":"yes"}]}])"),
      Catch::Contains("apps.http.servers.srv0.routes[0].handle[0].close: json: cannot unmarshal string into "
                      "Go struct field StaticResponse.close of type bool"));
  CHECK_THROWS_WITH(build(R"([{"handle":[{"handler":"file_server","index_names":[1]}]}])"),
                    Catch::Contains("routes[0].handle[0]"));
}

TEST_CASE("{http.request.uuid} is made once per request and kept in the var uuid") {
  auto rt = build(R"([
    {"handle":[{"handler":"headers","response":{"set":{"X-Id":["{http.request.uuid}"]}}}]},
    {"match":[{"expression":"{http.request.uuid} != ''"}],
     "handle":[{"handler":"static_response","body":"{http.request.uuid} {http.vars.uuid}"}]}
  ])");
  auto ex = run(*rt, "/");
  const std::string id(ex.response.headers.get("X-Id"));
  CHECK(std::regex_match(id,
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(ex.response.body == id + " " + id);
  CHECK(run(*rt, "/").response.headers.get("X-Id") != id);  // a new one per request
}
