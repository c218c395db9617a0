#include <netinet/in.h>

#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "proxy/header_rules.h"
#include "proxy/proxy_config.h"
#include "proxy/upstream_address.h"

using gatehouse::config::Json;
using gatehouse::proxy::HeaderOps;
using gatehouse::proxy::ProxyConfig;
using gatehouse::proxy::UpstreamAddress;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::HeaderList;

TEST_CASE("upstream dial addresses: IPv4, IPv6, localhost, unix; names and bad ports refused") {
  std::string err;
  auto a = UpstreamAddress::parse("127.0.0.1:3210", err);
  REQUIRE(a);
  CHECK(a->addr.ss_family == AF_INET);
  auto b = UpstreamAddress::parse("[::1]:8080", err);
  REQUIRE(b);
  CHECK(b->addr.ss_family == AF_INET6);
  auto c = UpstreamAddress::parse("localhost:11434", err);
  REQUIRE(c);
  CHECK(c->addr.ss_family == AF_INET);
  auto d = UpstreamAddress::parse("unix//run/app.sock", err);
  REQUIRE(d);
  CHECK(d->unix);
  CHECK(d->path == "/run/app.sock");
  auto e = UpstreamAddress::parse("app.internal:3000", err);
  REQUIRE(e);
  CHECK(e->resolve);
  CHECK_FALSE(UpstreamAddress::parse("bad_host!:80", err));
  CHECK_FALSE(UpstreamAddress::parse("127.0.0.1:65536", err));
  // as caddy 2.6.2: port 0, or none ("host:", its ws:// upstreams), is dialled (and refused)
  auto zero = UpstreamAddress::parse("127.0.0.1:0", err);
  REQUIRE(zero);
  auto none = UpstreamAddress::parse("[::1]:", err);
  REQUIRE(none);
  CHECK(none->port == "0");
  CHECK(none->addr.ss_family == AF_INET6);
  CHECK_FALSE(UpstreamAddress::parse("127.0.0.1", err));
  CHECK_FALSE(UpstreamAddress::parse("{http.request.host}:80", err));
}

TEST_CASE("hop-by-hop fields go, Connection-named ones too; upgrades keep Connection/Upgrade") {
  HeaderList h;
  h.add("Connection", "keep-alive, X-Secret");
  h.add("X-Secret", "1");
  h.add("Keep-Alive", "timeout=5");
  h.add("Proxy-Connection", "keep-alive");
  h.add("Te", "trailers, gzip");
  h.add("Transfer-Encoding", "chunked");
  h.add("Upgrade", "websocket");
  h.add("X-Keep", "yes");
  gatehouse::proxy::removeHopByHop(h, "");
  CHECK(h.size() == 2);
  CHECK(h.get("X-Keep") == "yes");
  CHECK(h.get("Te") == "trailers");
  HeaderList u;
  u.add("Connection", "Upgrade");
  u.add("Upgrade", "websocket");
  gatehouse::proxy::removeHopByHop(u, "websocket");
  CHECK(u.get("Connection") == "Upgrade");
  CHECK(u.get("Upgrade") == "websocket");
  // Go's ReverseProxy lower-cases the request's protocol (compat real_websocket_split);
  // an upstream's 101 keeps the case it sent.
  HeaderList mixed;
  mixed.add("Connection", "Upgrade");
  mixed.add("Upgrade", "WebSocket");
  gatehouse::proxy::removeHopByHop(mixed, "WebSocket");
  CHECK(mixed.get("Upgrade") == "websocket");
  HeaderList answer;
  answer.add("Connection", "Upgrade");
  answer.add("Upgrade", "WebSocket");
  gatehouse::proxy::removeHopByHop(answer, "WebSocket", false);
  CHECK(answer.get("Upgrade") == "WebSocket");
}

TEST_CASE("X-Forwarded-* keep prior values only from trusted clients") {
  gatehouse::runtime::Request r;
  r.remoteIp = "10.0.0.7";
  r.host = "chat.example.com";
  HeaderList h;
  h.add("X-Forwarded-For", "1.1.1.1");
  h.add("X-Forwarded-Proto", "https");
  HeaderList t = h;
  gatehouse::proxy::setForwardedHeaders(h, r, false);
  CHECK(h.get("X-Forwarded-For") == "10.0.0.7");
  CHECK(h.get("X-Forwarded-Proto") == "http");
  CHECK(h.get("X-Forwarded-Host") == "chat.example.com");
  gatehouse::proxy::setForwardedHeaders(t, r, true);
  CHECK(t.get("X-Forwarded-For") == "1.1.1.1, 10.0.0.7");
  CHECK(t.get("X-Forwarded-Proto") == "https");
}

TEST_CASE("header_up operations render placeholders; control characters are caught") {
  auto ops = HeaderOps::parse(Json::parse(R"({"set": {"X-Real-IP": ["{http.request.remote.host}"]},
                                               "delete": ["X-Drop*"], "add": {"X-Multi": ["a", "b"]}})"),
                              "h");
  Exchange ex;
  ex.request.remoteIp = "192.0.2.1";
  HeaderList h;
  h.add("X-Drop-Me", "1");
  h.add("X-Dropped", "1");
  ops.apply(h, ex);
  CHECK(h.get("X-Real-Ip") == "192.0.2.1");
  CHECK(h.count("X-Multi") == 2);
  CHECK_FALSE(h.has("X-Drop-Me"));
  CHECK(gatehouse::proxy::safeToSend(h));
  h.add("X-Bad", "a\r\nInjected: 1");
  CHECK_FALSE(gatehouse::proxy::safeToSend(h));
}

TEST_CASE("reverse_proxy config: unsupported fields stop start-up with their JSON path") {
  auto parse = [](const char* json) {
    gatehouse::config::Handler h;
    h.name = "reverse_proxy";
    h.fields = Json::parse(json);
    return ProxyConfig::parse(h, "routes[0].handle[0]", gatehouse::handlers::RouteCompiler{});
  };
  CHECK(parse(R"({"upstreams": [{"dial": "127.0.0.1:1"}], "transport": {"protocol": "http",
      "read_buffer_size": 1000000, "keep_alive": {"max_idle_conns_per_host": 4}}})")
            ->readBuffer == 1000000);
  // versions: Caddy's default ["1.1", "2"] offers h2 over TLS; "h2c" speaks it in cleartext.
  auto defaults = parse(R"({"upstreams": [{"dial": "127.0.0.1:1"}]})");
  CHECK(defaults->transport.h2);
  CHECK_FALSE(defaults->transport.h2c);
  auto h2c = parse(R"({"upstreams": [{"dial": "127.0.0.1:1"}], "transport": {"protocol": "http",
      "versions": ["h2c", "2"]}})");
  CHECK(h2c->transport.h2c);
  CHECK(h2c->transport.h2);
  auto h1 = parse(R"({"upstreams": [{"dial": "127.0.0.1:1"}], "transport": {"protocol": "http",
      "versions": ["1.1"]}})");
  CHECK_FALSE(h1->transport.h2);
  CHECK_FALSE(h1->transport.h2c);
  auto expectPath = [&](const char* json, const std::string& path) {
    try {
      parse(json);
      FAIL("accepted: " << json);
    } catch (const gatehouse::provision::ProvisionError& e) {
      CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
  };
  expectPath(R"({"upstreams": [{"dial": "127.0.0.1:1"}], "transport": {"protocol": "http",
      "tls": {"client_certificate_automate": "x"}}})",
             "routes[0].handle[0].transport.tls.client_certificate_automate");
  expectPath(
      R"({"upstreams": [{"dial": "127.0.0.1:1"}], "transport": {"protocol": "http", "versions": ["h2c", "3"]}})",
      "routes[0].handle[0].transport.versions[1]");
  expectPath(R"({"upstreams": [{"dial": "127.0.0.1:1"}], "health_checks": {"active": {"upstream": "x:1"}}})",
             "routes[0].handle[0].health_checks.active");
  expectPath(R"({"dynamic_upstreams": {"source": "consul"}})",
             "routes[0].handle[0].dynamic_upstreams.source");
  expectPath(R"({"dynamic_upstreams": {"source": "a", "weight": 1}})",
             "routes[0].handle[0].dynamic_upstreams.weight");
  // A foreign network loads, as in caddy 2.6.2, and goes through the per-request address
  // path, which answers 502 ("cannot carry HTTP").
  CHECK(parse(R"({"upstreams": [{"dial": "udp/127.0.0.1:53"}]})")->upstreams[0].dialTemplate != nullptr);
  CHECK(parse(R"({"dynamic_upstreams": {"source": "srv", "name": "_http._tcp.example.test"}})")->dynamic);
  // caddy 2.6.2's deprecated per-request SRV upstream (Caddyfile `srv+`): an SRV source of its
  // own, refused with a dial address or with active health checks (as 2.6.2's Provision)
  {
    auto c = parse(R"({"upstreams": [{"lookup_srv": "_http._tcp.{http.request.host}", "max_requests": 2}]})");
    REQUIRE(c->upstreams[0].srv);
    CHECK(c->hasLookupSrv);
    CHECK(c->upstreams[0].dial == "_http._tcp.{http.request.host}");
    CHECK(c->upstreams[0].maxRequests == 2);
    CHECK(c->upstreams[0].srv->kind == gatehouse::proxy::DynamicSource::Kind::Srv);
    CHECK(c->upstreams[0].srv->resolvers.empty());
  }
  expectPath(R"({"upstreams": [{"lookup_srv": "_http._tcp.example.test", "dial": "127.0.0.1:1"}]})",
             "routes[0].handle[0].upstreams[0]");
  expectPath(R"({"upstreams": [{"lookup_srv": "_x._tcp.t"}], "health_checks": {"active": {"uri": "/h"}}})",
             "routes[0].handle[0].upstreams[0]");
  expectPath(R"({"upstreams": [{"lookup_srv": 5}]})", "routes[0].handle[0].upstreams[0].lookup_srv");
  CHECK(parse(R"({"upstreams": [{"dial": "{http.request.header.X-B}"}]})")->upstreams[0].dialTemplate);
  expectPath(
      R"({"upstreams": [{"dial": "127.0.0.1:1"}], "load_balancing": {"selection_policy": {"policy": "consistent_hash"}}})",
      "routes[0].handle[0].load_balancing.selection_policy.policy");
}

TEST_CASE("proxy: isHopByHop names exactly the fixed canonical hop-by-hop fields", "[proxy]") {
  for (const char* n : {"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
                        "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}) {
    CHECK(gatehouse::proxy::isHopByHop(n));
  }
  for (const char* n : {"", "T", "TE", "connection", "Content-Type", "Connections", "Keep-Alivex", "Server",
                        "Content-Length", "Proxy-Connectiom", "Transfer-Encodinh", "Upgrades", "Trailers"}) {
    CHECK_FALSE(gatehouse::proxy::isHopByHop(n));
  }
}
