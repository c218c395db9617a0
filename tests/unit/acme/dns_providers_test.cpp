// DNS-01 building blocks: Alibaba Cloud's request signature (the example of Alibaba Cloud
// DNS's "signature method" page), provider config checks, name helpers, challenge settings.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "dns/acmedns_provider.h"
#include "dns/alidns_signature.h"
#include "dns/dns_challenge_settings.h"
#include "dns/dns_provider.h"
#include "dns/dns_provider_factory.h"
#include "dns/duckdns_provider.h"
#include "dns/name_server.h"
#include "dns/rfc2136_provider.h"
#include "dns/serial_ops.h"
#include "solvers/dns01_solver.h"

using namespace gatehouse::acme;
using nlohmann::json;

TEST_CASE("alidns signature matches Alibaba's documented example") {
  // AccessKeyId testid, AccessKeySecret testsecret; Alibaba's page gives this signature.
  const dns::alidns::Params p{
      {"AccessKeyId", "testid"},        {"Action", "DescribeDomainRecords"},
      {"DomainName", "example.com"},    {"Format", "XML"},
      {"SignatureMethod", "HMAC-SHA1"}, {"SignatureNonce", "f59ed6a9-83fc-473b-9cc6-99c95df3856e"},
      {"SignatureVersion", "1.0"},      {"Timestamp", "2016-03-24T16:41:54Z"},
      {"Version", "2015-01-09"}};
  const std::string toSign = dns::alidns::stringToSign("GET", p);
  CHECK(toSign ==
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDomainRecords%26DomainName%3Dexample.com%26Format%"
        "3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Df59ed6a9-83fc-473b-9cc6-99c95df3856e"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-03-24T16%253A41%253A54Z%26Version%3D2015-01-09");
  CHECK(dns::alidns::signature("testsecret", toSign) == "uRpHwaSEt3J+6KQD//svCh/x+pI=");
  CHECK(dns::alidns::signedQuery("GET", p, "testsecret")
            .ends_with("&Signature=uRpHwaSEt3J%2B6KQD%2F%2FsvCh%2Fx%2BpI%3D"));
}

TEST_CASE("alidns percent-encoding follows Alibaba's rules") {
  CHECK(dns::alidns::percentEncode("a-Z_0.~") == "a-Z_0.~");
  CHECK(dns::alidns::percentEncode(" ") == "%20");
  CHECK(dns::alidns::percentEncode("*") == "%2A");
  CHECK(dns::alidns::percentEncode("\"") == "%22");
  CHECK(dns::alidns::percentEncode("\xC3\xA9") == "%C3%A9");
  CHECK(dns::alidns::percentEncode("+/=") == "%2B%2F%3D");
}

TEST_CASE("name servers parse as host[:port]") {
  CHECK(dns::parseNameServer("127.0.0.1")->describe() == "127.0.0.1:53");
  CHECK(dns::parseNameServer("127.0.0.1:5353")->port == 5353);
  CHECK(dns::parseNameServer("[::1]:54")->host == "::1");
  CHECK(dns::parseNameServer("::1")->port == 53);
  CHECK(dns::parseNameServer("ns.example.net:53")->host == "ns.example.net");
  CHECK_FALSE(dns::parseNameServer("1.2.3.4:0"));
  CHECK_FALSE(dns::parseNameServer("1.2.3.4:x"));
  CHECK_FALSE(dns::parseNameServer(""));
}

TEST_CASE("record names and relative names") {
  CHECK(Dns01Solver::recordName("*.Example.com") == "_acme-challenge.example.com.");
  CHECK(Dns01Solver::recordName("a.example.com") == "_acme-challenge.a.example.com.");
  CHECK(dns::relativeName("_acme-challenge.a.example.com.", "example.com.") == "_acme-challenge.a");
  CHECK(dns::relativeName("example.com.", "example.com.") == "@");
}

TEST_CASE("rfc2136 settings are checked without echoing the key") {
  CHECK(dns::Rfc2136Provider::tsigAlgorithm("hmac-sha256") == "hmac-sha256.");
  CHECK(dns::Rfc2136Provider::tsigAlgorithm("HMAC-SHA512.") == "hmac-sha512.");
  CHECK(dns::Rfc2136Provider::tsigAlgorithm("hmac-md5") == "hmac-md5.sig-alg.reg.int.");
  CHECK(dns::Rfc2136Provider::tsigAlgorithm("rsa") == "");
  json ok = {{"name", "rfc2136"},
             {"key_name", "k"},
             {"key_alg", "hmac-sha256"},
             {"key", "c2VjcmV0c2VjcmV0"},
             {"server", "127.0.0.1:53"}};
  CHECK(dns::makeDnsProvider(nullptr, ok)->name() == "rfc2136");
  json bad = ok;
  bad["key"] = "not base64!";
  try {
    dns::makeDnsProvider(nullptr, bad);
    FAIL("accepted a bad key");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "rfc2136: key is not valid base64");
  }
  bad = ok;
  bad.erase("server");
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, bad), "rfc2136: missing server");
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "gandi"}}), Catch::Contains("not built in"));
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "cloudflare"}}),
                    Catch::Contains("api_token"));
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "alidns"}, {"access_key_id", "x"}}),
                    Catch::Contains("AccessKeySecret"));
}

TEST_CASE("DNS challenge settings read Caddy's JSON") {
  ::setenv("GATEHOUSE_UNIT_CF_TOKEN", "tok123", 1);
  const json j = {{"provider", {{"name", "cloudflare"}, {"api_token", "{env.GATEHOUSE_UNIT_CF_TOKEN}"}}},
                  {"ttl", 60000000000LL},
                  {"propagation_delay", "1m30s"},
                  {"propagation_timeout", -1},
                  {"resolvers", {"127.0.0.1:5353", "8.8.8.8"}},
                  {"override_domain", "acme.example.net"}};
  const auto s = dns::parseDnsChallenge(j);
  CHECK(s.provider["api_token"] == "tok123");
  CHECK(s.ttl == std::chrono::seconds(60));
  CHECK(s.propagationDelay == std::chrono::seconds(90));
  CHECK(s.propagationTimeout.count() < 0);
  REQUIRE(s.resolvers.size() == 2);
  CHECK(s.resolvers[0].port == 5353);
  CHECK(s.overrideDomain == "acme.example.net");
  try {
    dns::parseDnsChallenge(json{{"provider", {{"name", "cloudflare"}}}, {"bogus", 1}});
    FAIL("accepted an unknown key");
  } catch (const dns::DnsSettingsError& e) {
    CHECK(e.path == "bogus");
  }
  CHECK(dns::expandEnvPlaceholders("a{env.GATEHOUSE_UNIT_CF_TOKEN}b{env.GATEHOUSE_UNIT_NOPE}c") ==
        "atok123bc");
}

TEST_CASE("duckdns: the Duck DNS domain of a name") {
  using dns::DuckdnsProvider;
  CHECK(DuckdnsProvider::duckDomain("_acme-challenge.Home.DuckDNS.org.", "") == "home.duckdns.org");
  CHECK(DuckdnsProvider::duckDomain("_acme-challenge.a.b.home.duckdns.org.", "") == "home.duckdns.org");
  CHECK(DuckdnsProvider::duckDomain("_acme-challenge.example.com.", "") == "");
  CHECK(DuckdnsProvider::duckDomain("_acme-challenge.example.com.", "me.duckdns.org") == "me.duckdns.org");
  CHECK(dns::makeDnsProvider(nullptr, json{{"name", "duckdns"}, {"api_token", "t"}})->needsZone() == false);
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "duckdns"}}), Catch::Contains("api_token"));
  CHECK_THROWS_WITH(
      dns::makeDnsProvider(nullptr, json{{"name", "duckdns"}, {"api_token", "t"}, {"resolver", "x:y"}}),
      Catch::Contains("resolver"));
}

TEST_CASE("digitalocean settings") {
  CHECK(dns::makeDnsProvider(nullptr, json{{"name", "digitalocean"}, {"auth_token", "t"}})->name() ==
        "digitalocean");
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "digitalocean"}}),
                    Catch::Contains("auth_token"));
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "digitalocean"}, {"api_token", "t"}}),
                    Catch::Contains("'api_token' is not supported"));
}

TEST_CASE("hetzner settings") {
  CHECK(dns::makeDnsProvider(nullptr, json{{"name", "hetzner"}, {"auth_api_token", "t"}})->name() ==
        "hetzner");
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "hetzner"}}),
                    Catch::Contains("auth_api_token"));
}

TEST_CASE("porkbun settings") {
  CHECK(dns::makeDnsProvider(nullptr, json{{"name", "porkbun"}, {"api_key", "k"}, {"api_secret_key", "s"}})
            ->name() == "porkbun");
  CHECK_THROWS_WITH(
      dns::makeDnsProvider(nullptr, json{{"name", "porkbun"}, {"api_key", "k"}, {"api_secret_key", " \n"}}),
      "porkbun: No api_secret_key set");
}

TEST_CASE("desec settings") {
  CHECK(dns::makeDnsProvider(nullptr, json{{"name", "desec"}, {"token", "t"}})->name() == "desec");
  CHECK_THROWS_WITH(dns::makeDnsProvider(nullptr, json{{"name", "desec"}}), "desec: missing token");
}

TEST_CASE("acmedns settings: one account, per-domain accounts, acme-dns-client's file") {
  const json one = {{"name", "acmedns"},
                    {"username", "u"},
                    {"password", "p"},
                    {"subdomain", "s"},
                    {"server_url", "https://auth.acme-dns.io"}};
  const auto s = dns::acmednsSettings(one);
  CHECK(s.single.subdomain == "s");
  CHECK(s.accounts.empty());
  json bad = one;
  bad.erase("subdomain");
  CHECK_THROWS_WITH(dns::acmednsSettings(bad), Catch::Contains("all required"));
  bad = one;
  bad["config_file_path"] = "/x";
  CHECK_THROWS_WITH(dns::acmednsSettings(bad), Catch::Contains("exactly one"));
  const std::string path = "/tmp/gatehouse-unit-acmedns-" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(path);
    f << R"({"Example.com": {"username": "u", "password": "p", "subdomain": "s", "fulldomain": "s.a.org",
             "server_url": "https://a.org"}})";
  }
  dns::AcmednsProvider provider(nullptr,
                                dns::acmednsSettings(json{{"name", "acmedns"}, {"config_file_path", path}}));
  std::remove(path.c_str());
  REQUIRE(provider.account("_acme-challenge.example.com.") != nullptr);
  CHECK(provider.account("_acme-challenge.example.com.")->serverUrl == "https://a.org");
  CHECK(provider.account("_acme-challenge.other.com.") == nullptr);
  CHECK_THROWS_WITH(dns::acmednsSettings(json{{"name", "acmedns"}, {"config_file_path", path}}),
                    Catch::Contains("cannot read"));
}

TEST_CASE("serial ops run one at a time, in order") {
  dns::SerialOps ops;
  std::vector<std::string> log;
  std::vector<dns::SerialOps::Done> pending;
  auto op = [&](std::string name) {
    return [&, name](dns::SerialOps::Done d) {
      log.push_back("start " + name);
      pending.push_back(std::move(d));
    };
  };
  ops.run(op("a"), [&](std::optional<std::string> e) { log.push_back("done a " + e.value_or("")); });
  ops.run(op("b"), [&](std::optional<std::string> e) { log.push_back("done b " + e.value_or("")); });
  CHECK(log == std::vector<std::string>{"start a"});
  CHECK(ops.waiting() == 1);
  auto first = std::move(pending.at(0));
  first(std::string("x"));
  CHECK(log == std::vector<std::string>{"start a", "done a x", "start b"});
  auto second = std::move(pending.at(1));
  second(std::nullopt);
  CHECK(log.back() == "done b ");
  ops.run(op("c"), [&](std::optional<std::string>) {});
  CHECK(log.back() == "start c");  // idle again: starts at once
}
