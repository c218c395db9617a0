#include "proxy/dynamic_upstreams.h"

#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "proxy/dns_records.h"
#include "proxy/upstream_address.h"

using gatehouse::config::Json;
using gatehouse::proxy::DynamicSource;
using gatehouse::proxy::orderSrv;
using gatehouse::proxy::SrvRecord;
using gatehouse::proxy::UpstreamAddress;

TEST_CASE("rendered upstream addresses are refused as Caddy words it") {
  std::string err;
  auto a = UpstreamAddress::parseResolved("127.0.0.1:8080", err);
  REQUIRE(a);
  CHECK(!a->resolve);
  CHECK(UpstreamAddress::parseResolved("backend.example.test.:80", err)->resolve);
  CHECK(UpstreamAddress::parseResolved("unix//run/app.sock", err)->unix);
  CHECK(UpstreamAddress::parseResolved("tcp/[::1]:80", err));
  CHECK(!UpstreamAddress::parseResolved("", err));
  CHECK(err == "invalid dial address : missing port in address");
  CHECK(!UpstreamAddress::parseResolved("127.0.0.1:1-3", err));
  CHECK(err == "dial address must represent precisely one socket: 127.0.0.1:1-3 represents 3");
  CHECK(!UpstreamAddress::parseResolved("127.0.0.1:abc", err));
  CHECK(err ==
        "invalid dial address 127.0.0.1:abc: invalid start port: strconv.ParseUint: parsing \"abc\": invalid "
        "syntax");
  CHECK(!UpstreamAddress::parseResolved("127.0.0.1:99999", err));
  CHECK(err ==
        "invalid dial address 127.0.0.1:99999: invalid start port: strconv.ParseUint: parsing \"99999\": "
        "value out of range");
  CHECK(!UpstreamAddress::parseResolved("udp/127.0.0.1:53", err));
  CHECK_THAT(err, Catch::Contains("cannot carry HTTP"));
  CHECK(!UpstreamAddress::parseResolved("127.0.0.1:80-", err));
  CHECK(err ==
        "invalid dial address 127.0.0.1:80-: invalid end port: strconv.ParseUint: parsing \"\": invalid "
        "syntax");
  CHECK(!UpstreamAddress::parseResolved("127.0.0.1:065536", err));
  CHECK(err ==
        "invalid dial address 127.0.0.1:065536: invalid start port: strconv.ParseUint: parsing \"065536\": "
        "value out of range");
}

TEST_CASE("a rendered port with leading zeros is read as ParseUint reads it") {
  // `reverse_proxy localhost:{re.forwarded.1}` with the port taken from the Host: Caddy's
  // ParseNetworkAddress reads "00080" as 80 and dials (and names) localhost:80.
  std::string err;
  auto a = UpstreamAddress::parseResolved("localhost:00080", err);
  REQUIRE(a);
  CHECK(a->port == "80");
  CHECK(a->host == "localhost");
  auto b = UpstreamAddress::parseResolved("tcp4/127.0.0.1:000000000000000000000000443", err);
  REQUIRE(b);
  CHECK(b->port == "443");
  CHECK(b->family == AF_INET);
  auto c = UpstreamAddress::parse("[::1]:08080", err);
  REQUIRE(c);
  CHECK(c->port == "8080");
  CHECK(!UpstreamAddress::parse("127.0.0.1:+80", err));
}

TEST_CASE("networks that cannot carry HTTP are refused per request") {
  std::string err;
  // Caddy loads these (a Caddyfile's `reverse_proxy api/* host:port` makes "api/*:80") and
  // answers 502 when one is picked: the proxy sends them through parseResolved per request.
  for (const char* dial :
       {"udp/127.0.0.1:53", "unixgram//run/x.sock", "ip/127.0.0.1:1", "fd/3", "api/*:80"}) {
    CHECK(UpstreamAddress::namesForeignNetwork(dial));
    CHECK(!UpstreamAddress::parse(dial, err));
    CHECK_THAT(err, Catch::Contains("cannot carry HTTP"));
    CHECK(!UpstreamAddress::parseResolved(dial, err));
    CHECK_THAT(err, Catch::Contains("cannot carry HTTP"));
  }
  for (const char* dial :
       {"tcp4/127.0.0.1:80", "unix//run/app.sock", "127.0.0.1:80", "[::1]:80", "host:80/x"}) {
    CHECK(!UpstreamAddress::namesForeignNetwork(dial));
  }
  CHECK(UpstreamAddress::parse("tcp4/127.0.0.1:80", err));
}

TEST_CASE("SRV records in RFC 2782 order") {
  std::vector<SrvRecord> r{{"c.", 3, 20, 0}, {"a.", 1, 10, 5}, {"b.", 2, 10, 0}, {"d.", 4, 5, 1}};
  orderSrv(r, [](uint32_t) { return 0U; });
  REQUIRE(r.size() == 4);
  CHECK(r[0].target == "d.");  // lowest priority value first
  CHECK(r[3].target == "c.");
  // Within priority 10: a draw of 0 takes the first record whose running weight reaches it
  // (the zero-weight one, as RFC 2782 orders zero weights first).
  CHECK(r[1].target == "b.");
  std::vector<SrvRecord> w{{"light.", 1, 10, 1}, {"heavy.", 2, 10, 99}};
  orderSrv(w, [](uint32_t n) { return n - 1; });  // the highest draw lands in the heavy one
  CHECK(w[0].target == "heavy.");
}

TEST_CASE("dynamic upstream sources decode Caddy's JSON") {
  auto a = DynamicSource::parse(Json::parse(R"({"source":"a","name":"api.example.test","refresh":5000000000,
      "resolver":{"addresses":["127.0.0.1:5353"]},"versions":{"ipv6":true}})"),
                                "h.dynamic_upstreams");
  CHECK(a.kind == DynamicSource::Kind::A);
  CHECK(a.port.source() == "80");
  CHECK(a.refresh == std::chrono::seconds(5));
  CHECK(!a.v4);
  CHECK(a.v6);
  REQUIRE(a.resolvers.size() == 1);
  CHECK(a.resolvers[0].port == 5353);
  auto m =
      DynamicSource::parse(Json::parse(R"({"source":"multi","sources":[{"source":"srv","name":"x"}]})"), "p");
  REQUIRE(m.sources.size() == 1);
  CHECK(m.sources[0].kind == DynamicSource::Kind::Srv);
  CHECK(m.sources[0].refresh == std::chrono::minutes(1));
  CHECK_THROWS_AS(DynamicSource::parse(Json::parse(R"({"source":"consul"})"), "p"),
                  gatehouse::provision::ProvisionError);
  CHECK_THROWS_AS(
      DynamicSource::parse(Json::parse(R"({"source":"a","resolver":{"addresses":["dns.google"]}})"), "p"),
      gatehouse::provision::ProvisionError);
}
