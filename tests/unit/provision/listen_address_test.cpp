// Listen addresses and listener_wrappers at provision, as Caddy 2.6.2 reads them: a unix
// socket's path is everything after "unix/" (no port, no mode suffix); datagram networks
// and unknown wrappers are refused naming their JSON path.
#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "provision/runtime.h"

using gatehouse::config::Json;
using namespace gatehouse;

namespace {

std::string provisionError(const std::string& listen, const std::string& serverExtra) {
  const std::string json = R"({"admin":{"disabled":true},"apps":{"http":{"servers":{"s":{"listen":[")" +
                           listen + R"("],)" + serverExtra +
                           R"("routes":[{"handle":[{"handler":"static_response","body":"x"}]}]}}}}})";
  try {
    provision::provisionRuntime(config::configFromJson(Json::parse(json)));
  } catch (const provision::ProvisionError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("unix listen addresses keep the whole path, mode suffix and colons included") {
  std::vector<provision::ListenSpec> out;
  auto spec = provision::parseListen("unix//run/x.sock", "l", out);
  CHECK(spec.isUnix());
  CHECK(spec.host == "/run/x.sock");
  CHECK(spec.port == 0);
  REQUIRE(out.size() == 1);
  CHECK(out[0].original == "unix//run/x.sock");
  // Caddy 2.6.2 has no "|mode" suffix: the file is named "x.sock|0222".
  CHECK(provision::parseListen("unix//run/x.sock|0222", "l", out).host == "/run/x.sock|0222");
  CHECK(provision::parseListen("unix//run/a.sock:80", "l", out).host == "/run/a.sock:80");
  CHECK(provision::parseListen("unix/rel.sock", "l", out).host == "rel.sock");
  CHECK_THROWS_WITH(provision::parseListen("unix/", "l", out), Catch::Contains("no socket path"));
}

TEST_CASE("datagram and unknown listener networks are refused") {
  std::vector<provision::ListenSpec> out;
  CHECK_THROWS_WITH(provision::parseListen("unixgram//tmp/g.sock", "p", out),
                    Catch::Contains("p: listener network 'unixgram' cannot serve HTTP"));
  // `bind udp/127.0.0.1`: caddy 2.6.2 validates it and panics at start; newer Caddy refuses
  // it at start. No HTTP server can run on it here either (HTTP/3 is not implemented).
  for (const char* udp : {"udp/127.0.0.1:8080", "udp4/127.0.0.1:8080", "udp6/[::1]:8080"}) {
    CHECK_THROWS_WITH(provision::parseListen(udp, "p", out),
                      Catch::Contains("cannot serve HTTP (a datagram socket accepts no connections; HTTP/3 "
                                      "over UDP is not supported yet)"));
  }
  CHECK_THROWS_WITH(provision::parseListen("unixpacket//tmp/p.sock", "p", out),
                    Catch::Contains("'unixpacket' is not supported yet"));
  CHECK_THROWS_WITH(provision::parseListen("unix//tmp/{env.X}", "p", out), Catch::Contains("placeholders"));
}

TEST_CASE("a unix-listening server provisions, with or without TLS") {
  CHECK(provisionError("unix//tmp/gh-unit.sock", "").empty());
  CHECK(provisionError("unix//tmp/gh-unit.sock", R"("tls_connection_policies":[{}],)").empty());
}

TEST_CASE("listener_wrappers: Caddy 2.6.2's modules and order rules") {
  const std::string tls = R"("tls_connection_policies":[{}],)";
  auto wrappers = [](const std::string& list) { return R"("listener_wrappers":)" + list + ","; };
  CHECK(provisionError(":443", tls + wrappers(R"([{"wrapper":"http_redirect"},{"wrapper":"tls"}])")).empty());
  CHECK(provisionError(":80", wrappers(R"([{"wrapper":"http_redirect"}])")).empty());  // cleartext
  CHECK(provisionError(":443", tls + wrappers(R"([{"wrapper":"tls"},{"wrapper":"http_redirect"}])"))
            .find("unnecessary to specify the TLS listener wrapper in the first position") !=
        std::string::npos);
  CHECK(provisionError(":443",
                       tls + wrappers(R"([{"wrapper":"http_redirect"},{"wrapper":"tls"},{"wrapper":"tls"}])"))
            .find("TLS listener wrapper can only be specified once") != std::string::npos);
  CHECK(provisionError(":443", tls + wrappers(R"([{"wrapper":"proxy_protocol"}])"))
            .find("position 0: loading module 'proxy_protocol': unknown module: "
                  "caddy.listeners.proxy_protocol") != std::string::npos);
  CHECK(provisionError(":443", tls + wrappers(R"([{"wrapper":"http_redirect","x":1}])"))
            .find("json: unknown field \"x\"") != std::string::npos);
  // After TLS (also implicitly: no `tls` means TLS first) Caddy redirects HTTPS to itself.
  CHECK(provisionError(":443", tls + wrappers(R"([{"wrapper":"http_redirect"}])"))
            .find("http_redirect after TLS") != std::string::npos);
}

namespace {
std::string serversError(const std::string& servers) {
  try {
    provision::provisionRuntime(config::configFromJson(
        Json::parse(R"({"admin":{"disabled":true},"apps":{"http":{"servers":)" + servers + "}}}")));
  } catch (const provision::ProvisionError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

// caddy's http app refuses one address claimed twice (port ranges expanded, the network
// named as Go's JoinNetworkAddress writes it); different spellings of a host are not compared.
TEST_CASE("a listener address claimed twice is refused, as caddy's http app refuses it") {
  CHECK(serversError(R"({"a":{"listen":[":18080"]},"b":{"listen":[":18080"]}})") ==
        "apps.http.servers.b.listen: server b: listener address repeated: tcp/:18080 (already claimed by "
        "server 'a')");
  CHECK(serversError(R"({"a":{"listen":[":18080",":18080"]}})") ==
        "apps.http.servers.a.listen: server a: listener address repeated: tcp/:18080 (already claimed by "
        "server 'a')");
  CHECK(serversError(R"({"a":{"listen":[":18080-18082"]},"b":{"listen":["tcp/:18081"]}})") ==
        "apps.http.servers.b.listen: server b: listener address repeated: tcp/:18081 (already claimed by "
        "server 'a')");
  CHECK(
      serversError(R"({"a":{"listen":["tcp6/[::1]:18080"]},"b":{"listen":["tcp6/[::1]:18080"]}})") ==
      "apps.http.servers.b.listen: server b: listener address repeated: tcp6/[::1]:18080 (already claimed by "
      "server 'a')");
  CHECK(
      serversError(
          R"({"a":{"listen":["unix//tmp/gh-unit-claim.sock"]},"b":{"listen":["unix//tmp/gh-unit-claim.sock"]}})") ==
      "apps.http.servers.b.listen: server b: listener address repeated: unix//tmp/gh-unit-claim.sock "
      "(already "
      "claimed by server 'a')");
  CHECK(serversError(R"({"a":{"listen":[":18080"]},"b":{"listen":["0.0.0.0:18080"]}})").empty());
  CHECK(serversError(R"({"a":{"listen":["localhost:18080"]},"b":{"listen":["127.0.0.1:18080"]}})").empty());
  CHECK(serversError(R"({"a":{"listen":["127.0.0.1:0"]},"b":{"listen":["127.0.0.1:0"]}})").empty());
}

TEST_CASE("a server without listen addresses is provisioned and binds nothing, as in caddy") {
  CHECK(serversError(R"({"a":{"listen":[]}})").empty());
  CHECK(serversError(R"({"a":{}})").empty());
}
