// admin.config as caddy 2.6.2 takes it: the "http" loader's fields and load_delay; what
// gatehouse cannot honour is refused with its JSON path.
#include "provision/admin_config_provision.h"

#include <catch2/catch.hpp>

#include "provision/provision_error.h"

using gatehouse::config::Json;
using gatehouse::provision::provisionAdminConfig;
using gatehouse::provision::ProvisionError;

TEST_CASE("admin.config.load http: request fields and load_delay", "[provision][admin]") {
  auto spec = provisionAdminConfig(Json::parse(R"({"persist":false,"load_delay":"1m30s","load":{
    "module":"http","method":"POST","url":"https://cfg.test/c","header":{"X-A":["1","2"]},
    "timeout":"5s","tls":{"root_ca_pem_files":["/etc/ca.pem"]}}})"));
  REQUIRE(spec);
  CHECK(spec->method == "POST");
  CHECK(spec->url == "https://cfg.test/c");
  CHECK(spec->headers == std::vector<std::pair<std::string, std::string>>{{"X-A", "1"}, {"X-A", "2"}});
  CHECK(spec->timeout == std::chrono::seconds(5));
  CHECK(spec->caFile == "/etc/ca.pem");
  CHECK(spec->delay == std::chrono::seconds(90));
  CHECK_FALSE(provisionAdminConfig(Json::parse(R"({"persist":false})")));
  auto plain = provisionAdminConfig(Json::parse(R"({"load":{"module":"http","url":"http://c.test/"}})"));
  REQUIRE(plain);
  CHECK(plain->method == "GET");
  CHECK(plain->delay.count() == 0);
}

TEST_CASE("admin.config refusals name the path", "[provision][admin]") {
  auto refused = [](const char* json) {
    try {
      provisionAdminConfig(Json::parse(json));
    } catch (const ProvisionError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(refused(R"({"persist":true})").empty());  // autosaved (admin/config_autosave.h)
  CHECK(refused(R"({"persist":"yes"})").starts_with("admin.config.persist: "));
  CHECK(refused(R"({"load":{"module":"http","url":"http://c/","adapter":"caddyfile"}})") ==
        "admin.config.load.adapter: caddy.config_loaders.http: json: unknown field \"adapter\"");
  CHECK(refused(R"({"load":{"module":"http","url":"http://c/","method":"PUT"}})").find("not supported yet") !=
        std::string::npos);
  CHECK(refused(R"({"load":{"module":"http","url":"http://{env.HOST}/"}})").find("placeholders") !=
        std::string::npos);
  CHECK(refused(R"({"load":{"module":"http","url":"http://c/","tls":{"use_server_identity":true}}})")
            .starts_with("admin.config.load.tls.use_server_identity: "));
  CHECK(refused(R"({"load":{"module":"file"}})").starts_with("admin.config.load.module: "));
  CHECK(refused(R"({"other":1})") == "admin.config.other: admin config option 'other' is not supported yet");
}
