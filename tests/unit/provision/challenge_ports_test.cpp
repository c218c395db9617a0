// Challenge ports at provision: an alternate port on which a server of the other kind
// listens is refused with its JSON path; a free one or a port of the right kind is accepted.
#include <catch2/catch.hpp>
#include <filesystem>

#include "provision/provision_error.h"
#include "provision/runtime.h"

using gatehouse::config::Json;
using namespace gatehouse;

namespace {

// An HTTPS site a.test on 8443 (so automatic HTTPS adds the redirect server on 8080) with
// one ACME issuer whose challenges are `challenges`.
std::string provisionError(const std::string& challenges) {
  const auto storage = std::filesystem::temp_directory_path() / "gatehouse-challenge-ports-test";
  const std::string json =
      R"({"admin":{"disabled":true},"storage":{"module":"file_system","root":")" + storage.string() +
      R"("},"apps":{"http":{"http_port":8080,"https_port":8443,"servers":{"srv0":{"listen":[":8443"],)"
      R"("routes":[{"match":[{"host":["a.test"]}],"handle":[{"handler":"static_response","body":"x"}]}]}}},)"
      R"("tls":{"automation":{"policies":[{"issuers":[{"module":"acme","challenges":)" +
      challenges + "}]}]}}}}";
  try {
    provision::provisionRuntime(config::configFromJson(Json::parse(json)));
  } catch (const provision::ProvisionError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("alternate challenge ports: a listener of the other kind is refused with its path") {
  const std::string path = "apps.tls.automation.policies[0].issuers[0].challenges";
  const std::string http = provisionError(R"({"http":{"alternate_port":8443}})");
  CHECK(http.find(path + ".http.alternate_port") != std::string::npos);
  CHECK(http.find("is a TLS listener of this config") != std::string::npos);
  const std::string alpn = provisionError(R"({"tls-alpn":{"alternate_port":8080}})");
  CHECK(alpn.find(path + ".tls-alpn.alternate_port") != std::string::npos);
  CHECK(alpn.find("is a plain-HTTP listener of this config") != std::string::npos);
  CHECK(provisionError(R"({"http":{"alternate_port":70000}})").find("expected a port number") !=
        std::string::npos);
  CHECK(provisionError(R"({"http":{"disabled":true},"tls-alpn":{"disabled":true}})")
            .find("no challenge left to answer") != std::string::npos);
}

TEST_CASE("alternate challenge ports: a free port or one of the right kind is accepted") {
  CHECK(provisionError(R"({"http":{"alternate_port":5002},"tls-alpn":{"alternate_port":5001}})") == "");
  CHECK(provisionError(R"({"http":{"alternate_port":8080},"tls-alpn":{"alternate_port":8443}})") == "");
  CHECK(provisionError(R"({"bind_host":"127.0.0.1"})") == "");
}
