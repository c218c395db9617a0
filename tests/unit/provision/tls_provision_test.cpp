// Provisioning of the tls app, connection policies and automatic HTTPS: what is refused,
// with which JSON path, and what automatic HTTPS adds.

#include "provision/tls_provision.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "provision/auto_https.h"
#include "provision/internal_certificates.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"

using gatehouse::config::Json;
using namespace gatehouse;

namespace {

std::string provisionError(const std::string& json) {
  try {
    provision::provisionRuntime(config::configFromJson(Json::parse(json)));
  } catch (const provision::ProvisionError& e) {
    return e.what();
  }
  return "";
}

std::string server(const std::string& fields) {
  return R"({"admin":{"disabled":true},"apps":{"http":{"servers":{"srv0":{"listen":["127.0.0.1:0"],)" +
         fields + "}}}}}";
}

}  // namespace

TEST_CASE("connection policy fields that are not implemented are refused with their path") {
  CHECK(
      provisionError(
          server(R"("tls_connection_policies":[{"match":{"remote_ip":{"ranges":["10.0.0.0/8"]}}}])")) ==
      "apps.http.servers.srv0.tls_connection_policies[0].match.remote_ip: 'remote_ip' is not supported yet");
  CHECK(provisionError(
            server(R"("tls_connection_policies":[{"insecure_secrets_log":"/nonexistent-dir/k.log"}])")) ==
        "apps.http.servers.srv0.tls_connection_policies[0].insecure_secrets_log: open "
        "/nonexistent-dir/k.log: no "
        "such file or directory");
  CHECK(provisionError(server(R"("tls_connection_policies":[{"insecure_secrets_log":"/tmp/{nope}.log"}])")) ==
        "apps.http.servers.srv0.tls_connection_policies[0].insecure_secrets_log: unrecognized placeholder "
        "{nope}");
  CHECK(
      provisionError(server(R"("tls_connection_policies":[{"cipher_suites":["TLS_FAKE"]}])")) ==
      "apps.http.servers.srv0.tls_connection_policies[0].cipher_suites: unsupported cipher suite: TLS_FAKE");
  CHECK_THAT(provisionError(server(R"("tls_connection_policies":[{"curves":["x25519mlkem768"]}])")),
             Catch::Contains("x25519mlkem768 is not supported yet"));
  CHECK_THAT(provisionError(server(R"("tls_connection_policies":[{"protocol_min":"tls1.1"}])")),
             Catch::Contains("unsupported protocol 'tls1.1'"));
  CHECK_THAT(provisionError(
                 server(R"("tls_connection_policies":[{"protocol_min":"tls1.3","protocol_max":"tls1.2"}])")),
             Catch::Contains("protocol_min cannot be greater than protocol_max"));
  CHECK_THAT(provisionError(server(
                 R"("tls_connection_policies":[{"client_authentication":{"mode":"verify_if_given"}}])")),
             Catch::Contains("needs trusted CA or leaf certificates"));
  CHECK(provisionError(server(R"("tls_connection_policies":[{"alpn":["h3"]}])")) ==
        "apps.http.servers.srv0.tls_connection_policies[0].alpn: ALPN protocol 'h3' is not supported yet");
  CHECK(provisionError(server(R"("protocols":["h2"],"tls_connection_policies":[{}])")) ==
        "apps.http.servers.srv0.protocols: cannot enable HTTP/2 or H2C without enabling HTTP/1.1; add h1 to "
        "protocols or remove h2/h2c");
}

TEST_CASE("the tls app: missing files, automation and unknown fields are refused") {
  const std::string base = R"({"admin":{"disabled":true},"apps":{"tls":)";
  CHECK_THAT(
      provisionError(base +
                     R"({"certificates":{"load_files":[{"certificate":"/nonexistent.crt","key":"/k"}]}}}})"),
      Catch::Contains(
          "apps.tls.certificates.load_files[0]: cannot read certificate file '/nonexistent.crt'"));
  CHECK_THAT(
      provisionError(base + R"({"dns":{"name":"cloudflare","api_token":"t"}}}})"),
      Catch::Contains("apps.tls.dns: the global DNS provider (Caddy 2.10+) is not supported yet: name the "
                      "provider with `acme_dns PROVIDER ...`"));
  CHECK_THAT(provisionError(base + R"({"certificates":{"automate":["a.example"]},
      "automation":{"policies":[{"issuers":[{"module":"zerossl","validity_days":30}]}]}}}})"),
             Catch::Contains("issuers[0].validity_days: 'validity_days' is not supported yet"));
  CHECK_THAT(provisionError(base + R"({"certificates":{"automate":["a.example"]},
      "automation":{"policies":[{"issuers":[{"module":"acme","api_key":"k"}]}]}}}})"),
             Catch::Contains("issuers[0].api_key: 'api_key' is not supported yet"));
  // An ACME issuer's trusted root file is read at start-up (caddy 2.6.2's message).
  CHECK_THAT(provisionError(base + R"({"certificates":{"automate":["a.example"]},
      "automation":{"policies":[{"issuers":[{"module":"acme","trusted_roots_pem_files":["/nonexistent/r.pem"]}]}]}}}})"),
             Catch::Contains("issuers[0].trusted_roots_pem_files: loading trusted root CA's PEM file: "
                             "/nonexistent/r.pem: open /nonexistent/r.pem: no such file or directory"));
  // Every policy's ACME issuers are provisioned at start, as caddy 2.6.2's tls app does: a
  // catch-all no name uses yet still needs its root file.
  CHECK(provisionError(base + R"({"automation":{"policies":[{"subjects":["x.localhost"],
      "issuers":[{"module":"internal"}]},{"issuers":[{"module":"zerossl",
      "trusted_roots_pem_files":["/nonexistent/r.pem"]}]}]}}}})") ==
        "apps.tls.automation.policies[1].issuers[0].trusted_roots_pem_files: loading trusted root CA's PEM "
        "file: /nonexistent/r.pem: open /nonexistent/r.pem: no such file or directory");
  // The Caddyfile adapter's in-memory mark for its catch-all of global ACME options (which
  // 2.6.2 lacked; pki_start_vs_caddy_test) is never read from JSON.
  CHECK_THAT(provisionError(base + R"({"automation":{"policies":[{"issuers":[{"module":"acme",
      "trusted_roots_pem_files":["/nonexistent/r.pem"]}],"gatehouse.provision_when_used":true}]}}}})"),
             Catch::Contains("policies[0].issuers[0].trusted_roots_pem_files: loading trusted root"));
  // On-demand TLS: what it cannot do yet is refused with its path.
  CHECK(provisionError(base + R"({"automation":{"policies":[{"on_demand":true}],
      "on_demand":{"rate_limit":{"interval":"1m","burst":3}}}}}})")
            .empty());
  CHECK(provisionError(base + R"({"automation":{"policies":[{"on_demand":true}],
      "on_demand":{"ask":"http://127.0.0.1:9/check"}}}}})")
            .empty());
  CHECK_THAT(
      provisionError(base + R"({"automation":{"policies":[{"on_demand":true}],
      "on_demand":{"rate_limit":{"burst":-1}}}}}})"),
      Catch::Contains("apps.tls.automation.on_demand.rate_limit.burst: expected a non-negative integer"));
  // A window without events: caddy 2.6.2 panics, on-demand policies or not; zeros are no limit.
  CHECK_THAT(
      provisionError(base + R"({"automation":{"policies":[{"on_demand":true}],
      "on_demand":{"rate_limit":{"interval":"2m","burst":0}}}}}})"),
      Catch::Contains("apps.tls.automation.on_demand.rate_limit.burst: a non-zero interval needs a burst"));
  CHECK_THAT(
      provisionError(base + R"({"automation":{"on_demand":{"rate_limit":{"interval":"2m"}}}}}})"),
      Catch::Contains("apps.tls.automation.on_demand.rate_limit.burst: a non-zero interval needs a burst"));
  CHECK(provisionError(base + R"({"automation":{"policies":[{"on_demand":true}],
      "on_demand":{"rate_limit":{"interval":0,"burst":0}}}}}})")
            .empty());
  CHECK_THAT(provisionError(base + R"({"automation":{"policies":[{"on_demand":true}],
      "on_demand":{"permission":{"module":"dns"}}}}}})"),
             Catch::Contains("apps.tls.automation.on_demand.permission.module"));
  CHECK_THAT(provisionError(base + R"({"automation":{"policies":[{"on_demand":true}],
      "on_demand":{"ask":"ftp://x"}}}}})"),
             Catch::Contains("apps.tls.automation.on_demand.ask: the ask endpoint must be an http"));
  CHECK(provisionError(base + R"({"session_tickets":{"key_source":{"provider":"distributed"}}}}})") ==
        "apps.tls.session_tickets.key_source: 'key_source' is not supported yet");
  // A policy for the internal issuer alone signs nothing (automatic HTTPS names the hosts),
  // but its CA is made at start-up, as caddy 2.6.2's pki app makes it (`auto_https off`).
  std::string tmpl = (std::filesystem::temp_directory_path() / "gh-pkica-XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  CHECK(provisionError(R"({"admin":{"disabled":true},"storage":{"module":"file_system","root":")" + tmpl +
                       R"("},"apps":{"tls":{"automation":{"policies":[{"subjects":["x.localhost"],
      "issuers":[{"module":"internal","ca":"local"}]}]}}}})")
            .empty());
  for (const char* f : {"root.crt", "root.key", "intermediate.crt", "intermediate.key"}) {
    CHECK(std::filesystem::exists(std::filesystem::path(tmpl) / "pki/authorities/local" / f));
  }
  CHECK_THAT(
      provisionError(
          R"({"admin":{"disabled":true},"storage":{"module":"file_system","root":")" + tmpl +
          R"("},"apps":{"tls":{"automation":{"policies":[{"issuers":[{"module":"internal","ca":"nope"}]}]}}}})"),
      Catch::Contains("apps.tls.automation.policies[0].issuers[0].ca: no certificate authority configured "
                      "with id: nope"));
  std::filesystem::remove_all(tmpl);
  CHECK(provisionError(base + R"({"session_tickets":{"disabled":true}}}})").empty());
}

// caddy 2.6.2 provisions every policy's issuers when the tls app starts: an issuer without a
// module name, an unknown issuer module, or an ACME issuer whose DNS provider does not exist
// stops it, in a policy no name uses too (found by json_config_fuzz.py --vs-caddy).
TEST_CASE("every automation policy's issuers name a known module and DNS provider") {
  const std::string base = R"({"admin":{"disabled":true},"apps":{"tls":{"automation":{"policies":[)";
  CHECK(provisionError(base + R"({"issuers":[{"email":"a@example.com"}]}]}}}})") ==
        "apps.tls.automation.policies[0].issuers[0]: module name not specified with key 'module'");
  CHECK(provisionError(base + R"({"issuers":[{"module":"acme"},{"module":"nope"}]}]}}}})") ==
        "apps.tls.automation.policies[0].issuers[1].module: unknown module: tls.issuance.nope");
  CHECK_THAT(
      provisionError(base + R"({"subjects":["example.com"],"issuers":[{"module":"acme",
      "challenges":{"dns":{"provider":{"name":"mock"}}}}]}]}}}})"),
      Catch::Contains("apps.tls.automation.policies[0].issuers[0].challenges.dns.provider: DNS provider "
                      "'mock' is not built in"));
  CHECK(provisionError(base + R"({"issuers":[{"module":"acme","challenges":{"dns":{"provider":{
      "name":"cloudflare","api_token":"t"}}}}]}]}}}})")
            .empty());
}

TEST_CASE("a pki CA's root and intermediate files are read at start-up, as caddy 2.6.2's pki app does") {
  const std::string base = R"({"admin":{"disabled":true},"apps":{"pki":{"certificate_authorities":{"local":)";
  CHECK_THAT(
      provisionError(base + R"({"root":{"certificate":"/nonexistent/root.crt",
      "private_key":"/nonexistent/root.key"}}}}}})"),
      Catch::Contains("apps.pki.certificate_authorities.local.root: provisioning CA 'local': local CA: "
                      "reading root certificate /nonexistent/root.crt: No such file or directory"));
  CHECK_THAT(provisionError(base + R"({"intermediate":{"certificate":"/nonexistent/i.crt",
      "private_key":"/nonexistent/i.key"}}}}}})"),
             Catch::Contains("apps.pki.certificate_authorities.local.intermediate: provisioning CA 'local'"));
}

TEST_CASE("automatic HTTPS: a public wildcard without a DNS provider starts, skip lists exempt names") {
  const std::string route = R"("routes":[{"match":[{"host":["a.example","*.internal"]}],"handle":[]}])";
  // A public wildcard needs DNS-01 and no DNS provider is configured: Caddy starts anyway (the
  // orders fail at run time, acme_order_test); skip_certificates leaves it unmanaged.
  const std::string wildcard = R"("routes":[{"match":[{"host":["*.a.example"]}],"handle":[]}])";
  CHECK(provisionError(server(wildcard)).empty());
  CHECK(provisionError(server(wildcard + R"(,"automatic_https":{"skip_certificates":["*.a.example"]})"))
            .empty());
  CHECK(provisionError(server(route + R"(,"automatic_https":{"skip":["a.example","*.internal"]})")).empty());
  CHECK(provisionError(server(route + R"(,"automatic_https":{"disable":true})")).empty());
  // Listening only on the HTTP port: no HTTPS at all.
  CHECK(provisionError(R"({"admin":{"disabled":true},"apps":{"http":{"http_port":8080,"servers":{"srv0":{
      "listen":["127.0.0.1:8080"],)" +
                       route + "}}}}}")
            .empty());
}

TEST_CASE("automatic HTTPS plan: TLS on, a redirect server on the HTTP port") {
  auto cfg =
      config::configFromJson(Json::parse(R"({"apps":{"http":{"http_port":8080,"https_port":8443,"servers":{
      "srv0":{"listen":["127.0.0.1:8443"],"routes":[{"match":[{"host":["a.example"]}],"handle":[]}],
              "automatic_https":{"skip_certificates":["a.example"]}}}}}})"));
  auto tlsApp = provision::provisionTlsApp(cfg, nullptr);
  auto plan = provision::planAutomaticHttps(*cfg.http, tlsApp);
  REQUIRE(plan.servers.size() == 2);
  CHECK(plan.servers[0].second.tlsConnectionPolicies == Json::array({Json::object()}));
  const auto& [name, redirect] = plan.servers[1];
  CHECK(name == "remaining_auto_https_redirects");
  CHECK(redirect.listen == std::vector<std::string>{"127.0.0.1:8080"});
  REQUIRE(redirect.routes.size() == 2);
  const auto& byHost = redirect.routes[0];
  CHECK(byHost.match[0]["host"] == Json::array({"a.example"}));
  CHECK(byHost.handle[0].fields["headers"]["Location"][0] == "https://{http.request.host}{http.request.uri}");
  CHECK(byHost.handle[0].fields["status_code"] == 308);
  const auto& catchAll = redirect.routes[1];
  CHECK_FALSE(catchAll.match[0].contains("host"));
  // Caddy 2.6.2 never names https_port (nor 80/443/http_port) in a redirect.
  CHECK(catchAll.handle[0].fields["headers"]["Location"][0] ==
        "https://{http.request.host}{http.request.uri}");
}

TEST_CASE("automatic HTTPS plan: a site on another port is redirected to that port, 443 never named") {
  auto cfg =
      config::configFromJson(Json::parse(R"({"apps":{"http":{"http_port":8080,"https_port":8443,"servers":{
      "srv0":{"listen":["127.0.0.1:9443"],"routes":[{"match":[{"host":["b.example"]}],"handle":[]}],
              "automatic_https":{"skip_certificates":["b.example"]}},
      "srv1":{"listen":["127.0.0.1:443"],"routes":[{"match":[{"host":["c.example"]}],"handle":[]}],
              "automatic_https":{"skip_certificates":["c.example"]}}}}}})"));
  auto tlsApp = provision::provisionTlsApp(cfg, nullptr);
  auto plan = provision::planAutomaticHttps(*cfg.http, tlsApp);
  std::map<std::string, std::string> to;
  for (const auto& [name, srv] : plan.servers) {
    for (const auto& r : srv.routes) {
      if (!r.handle.empty() && r.handle[0].name == "static_response" && r.match[0].contains("host")) {
        to[r.match[0]["host"][0]] = r.handle[0].fields["headers"]["Location"][0];
      }
    }
  }
  CHECK(to["b.example"] == "https://{http.request.host}:9443{http.request.uri}");
  CHECK(to["c.example"] == "https://{http.request.host}{http.request.uri}");
}

TEST_CASE("automatic HTTPS plan: renewal_window_ratio reaches internal-issuer certificates") {
  // Caddyfile: global `renewal_window_ratio 0.25` next to a `tls internal` site.
  auto cfg = config::configFromJson(Json::parse(R"({"apps":{
      "http":{"https_port":8443,"servers":{"srv0":{"listen":["127.0.0.1:8443"],"routes":[{"match":[{"host":["i.example"]}],"handle":[]}]}}},
      "tls":{"automation":{"policies":[{"subjects":["i.example"],"issuers":[{"module":"internal"}],
                                         "renewal_window_ratio":0.25}]}}}})"));
  auto tlsApp = provision::provisionTlsApp(cfg, nullptr);
  auto plan = provision::planAutomaticHttps(*cfg.http, tlsApp);
  REQUIRE(plan.internal.size() == 1);
  CHECK(plan.internal[0].name == "i.example");
  CHECK(plan.internal[0].renewalWindowRatio == 0.25);

  using std::chrono::hours;
  const auto start = std::chrono::system_clock::time_point(hours(1000));
  CHECK(provision::renewalTime(start, start + hours(12)) == start + hours(8));
  CHECK(provision::renewalTime(start, start + hours(12), 0.25) == start + hours(9));

  auto bad = config::configFromJson(Json::parse(R"({"apps":{
      "http":{"https_port":8443,"servers":{"srv0":{"listen":["127.0.0.1:8443"],"routes":[{"match":[{"host":["i.example"]}],"handle":[]}]}}},
      "tls":{"automation":{"policies":[{"issuers":[{"module":"internal"}],"renewal_window_ratio":1.5}]}}}})"));
  auto badTls = provision::provisionTlsApp(bad, nullptr);
  CHECK_THROWS_WITH(provision::planAutomaticHttps(*bad.http, badTls),
                    Catch::Contains("renewal_window_ratio") && Catch::Contains("between 0 and 1"));
}

TEST_CASE("automation intervals and OCSP stapling options are taken as Caddy 2.6.2 takes them") {
  const std::string managed = R"("routes":[{"match":[{"host":["a.example"]}],"handle":[]}]}}},"tls":{)";
  auto withTls = [&](const std::string& tls) {
    return R"({"admin":{"disabled":true},"apps":{"http":{"servers":{"srv0":{"listen":["127.0.0.1:0"],)" +
           managed + tls + "}}}";
  };
  // certmagic takes zero or less as its default interval; below a second is a second here.
  for (const char* v : {"250000", "0", "-5", "\"250us\"", "\"0s\"", "\"1h\""}) {
    INFO(v);
    CHECK(provisionError(withTls(std::string(R"("automation":{"renew_interval":)") + v + "}")) == "");
    CHECK(provisionError(withTls(std::string(R"("automation":{"ocsp_interval":)") + v + "}")) == "");
  }
  CHECK(provisionError(withTls(R"("automation":{"ocsp_interval":"soon"})")) ==
        "apps.tls.automation.ocsp_interval: invalid duration 'soon'");
  // Global `ocsp_stapling off`: the app-level flag (loaded certificates) and every policy's.
  CHECK(provisionError(
            withTls(
                R"("disable_ocsp_stapling":true,"automation":{"policies":[{"disable_ocsp_stapling":true}]})"))
            .empty());
  CHECK(provisionError(withTls(R"("automation":{"policies":[{"disable_ocsp_stapling":"yes"}]})")) ==
        "apps.tls.automation.policies[0].disable_ocsp_stapling: expected a boolean");
}

TEST_CASE("automatic HTTPS plan: a local name no policy lists gets the internal issuer despite a catch-all") {
  // Caddyfile: global `acme_ca_root` or `cert_issuer internal { ca foo }` next to localhost and
  // 127.0.0.1 sites (newer Caddy's adapter writes the catch-all; caddy 2.6.2's runtime still
  // signs such names with the `local` CA, only a policy naming them decides otherwise).
  const std::string sites = R"("http":{"https_port":8443,"servers":{"srv0":{"listen":["127.0.0.1:8443"],
      "routes":[{"match":[{"host":["localhost","127.0.0.1","Named.Local","a.example"]}],"handle":[]}]}}})";
  auto cfg = config::configFromJson(Json::parse(R"({"apps":{)" + sites + R"(,
      "tls":{"automation":{"policies":[
        {"subjects":["named.local"],"issuers":[{"module":"internal","ca":"foo"}]},
        {"issuers":[{"module":"acme","trusted_roots_pem_files":["/nonexistent/r.pem"]}],"renewal_window_ratio":0.5}]}}}})"));
  auto tlsApp = provision::provisionTlsApp(cfg, nullptr);
  auto plan = provision::planAutomaticHttps(*cfg.http, tlsApp);
  std::map<std::string, provision::InternalIssuerChoice> internal;
  for (const auto& c : plan.internal) {
    internal.emplace(c.name, c);
  }
  REQUIRE(internal.size() == 3);
  CHECK(internal.at("localhost").issuer == Json{{"module", "internal"}});
  CHECK(internal.at("localhost").renewalWindowRatio == 0.5);  // the catch-all's other settings
  CHECK(internal.at("127.0.0.1").issuer == Json{{"module", "internal"}});
  CHECK(internal.at("named.local").issuer == Json::parse(R"({"module":"internal","ca":"foo"})"));
  CHECK(plan.managedNames == std::vector<std::string>{"a.example"});
}

TEST_CASE("an events app runs only without subscriptions (the Caddyfile's empty `events {}`)") {
  CHECK(provisionError(R"({"admin":{"disabled":true},"apps":{"events":{}}})").empty());
  CHECK(provisionError(R"({"admin":{"disabled":true},"apps":{"events":{"subscriptions":[]}}})").empty());
  CHECK(provisionError(
            R"({"admin":{"disabled":true},"apps":{"events":{"subscriptions":[{"events":["tls"]}]}}})") ==
        "apps.events: app 'events' is not supported yet");
}

TEST_CASE("an automation policy's key type is checked even when no certificate is managed") {
  // Caddy provisions every automation policy, so `auto_https off` does not hide a bad key_type.
  const auto withKeyType = [](const std::string& kt) {
    return R"({"admin":{"disabled":true},"apps":{"http":{"servers":{"srv0":{"listen":["127.0.0.1:0"],)"
           R"("automatic_https":{"disable":true}}}},"tls":{"automation":{"policies":[{"key_type":")" +
           kt + R"("}]}}}})";
  };
  CHECK(provisionError(withKeyType("bogus")) ==
        "apps.tls.automation.policies[0].key_type: unrecognized key type: bogus");
  CHECK(provisionError(withKeyType("rsa8192")) ==
        "apps.tls.automation.policies[0].key_type: unrecognized key type: rsa8192");
  CHECK(provisionError(withKeyType("ed25519")).empty());
}
