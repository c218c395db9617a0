// SiteRouter's error path (Caddy's handle_errors): error routes see {http.error.*}, keep the
// response fields set so far, and an error route that answers nothing gives the status.

#include "router/site_router.h"

#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "provision/runtime.h"

using gatehouse::config::configFromJson;
using gatehouse::config::Json;
using gatehouse::provision::provisionRuntime;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;

namespace {
std::unique_ptr<gatehouse::provision::Runtime> build(const std::string& routes, const std::string& errors) {
  std::string srv = R"({"listen":[":0"],"routes":)" + routes;
  if (!errors.empty()) {
    srv += R"(,"errors":{"routes":)" + errors + "}";
  }
  auto cfg = Json::parse(R"({"apps":{"http":{"servers":{"srv0":)" + srv + "}}}}}");
  return provisionRuntime(configFromJson(cfg));
}

Exchange serve(const gatehouse::provision::Runtime& rt, const std::string& path) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.host = "a.test";
  ex.request.path = path;
  ex.request.rawPath = path;
  ex.request.origUri = path;
  gatehouse::router::SiteRouter router(*rt.servers[0]);
  CHECK(router.handle(ex) != Outcome::Paused);
  return ex;
}

// A failing route: headers set first survive; a bad status placeholder fails with 500.
const char* kFailing = R"([{"handle":[
  {"handler":"headers","response":{"set":{"X-Before":["kept"]}}},
  {"handler":"rewrite","uri":"/rewritten"},
  {"handler":"static_response","status_code":"{http.vars.nope}"}]}])";
}  // namespace

TEST_CASE("error routes render {http.error.*} and see the original URI") {
  auto rt =
      build(kFailing, R"([{"handle":[{"handler":"static_response","status_code":"{http.error.status_code}",
    "body":"{http.error.status_code} {http.error.status_text} {http.error.message} {http.request.uri} {http.error.id}"}]}])");
  auto ex = serve(*rt, "/orig");
  CHECK(ex.response.status == 500);
  // the bad status fails with strconv.Atoi's error, as caddy 2.6.2's static_response
  CHECK(ex.response.body.starts_with(
      "500 Internal Server Error strconv.Atoi: parsing \"\": invalid syntax /orig "));
  CHECK(ex.error.id.size() == 9);
  CHECK(ex.response.headers.get("X-Before") == "kept");
  CHECK(ex.response.headers.get("Server") == "Gatehouse");
}

TEST_CASE("error routes that answer nothing give the error's status with an empty body") {
  auto rt = build(kFailing,
                  R"([{"match":[{"path":["/never"]}],"handle":[{"handler":"static_response","body":"x"}]}])");
  auto ex = serve(*rt, "/orig");
  CHECK(ex.response.status == 500);
  CHECK(ex.response.body.empty());
}

TEST_CASE("without error routes a failure is its status and an empty body") {
  auto rt = build(kFailing, "");
  auto ex = serve(*rt, "/orig");
  CHECK(ex.response.status == 500);
  CHECK(ex.response.body.empty());
  CHECK(ex.error.status == 500);
}
