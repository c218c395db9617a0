// The bytes of an active health check request: what caddy 2.6.2's Go client put on the
// wire for the same settings (recorded from a socket upstream; the e2e comparison is
// tests/e2e/proxy_health_wire_vs_caddy_test.py).
#include "proxy/health_request.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

using gatehouse::proxy::HealthRequest;
using gatehouse::proxy::healthRequestWire;
using gatehouse::runtime::HeaderList;

namespace {

HealthRequest get(const std::string& target, const std::string& host) {
  return {"GET", target, host, false, true};
}

}  // namespace

TEST_CASE("health request: Go's default check, kept alive and asking for gzip", "[health_wire]") {
  const auto w = healthRequestWire(get("/health?a=1&b=x%20y", "127.0.0.1:9000"), HeaderList{}, "", true);
  CHECK(w.bytes ==
        "GET /health?a=1&b=x%20y HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nUser-Agent: Go-http-client/1.1\r\n"
        "Accept-Encoding: gzip\r\n\r\n");
  CHECK(w.askedGzip);
}

TEST_CASE("health request: compression off asks for no gzip", "[health_wire]") {
  const auto w = healthRequestWire(get("/", "localhost"), HeaderList{}, "", false);
  CHECK(w.bytes == "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Go-http-client/1.1\r\n\r\n");
  CHECK_FALSE(w.askedGzip);
}

TEST_CASE("health request: health_headers sorted bytewise, names as written, Host apart", "[health_wire]") {
  HeaderList h;
  h.add("x-lower", "v");
  h.add("X-Multi", "a");
  h.add("Host", "example.test");
  h.add("X-Empty", "");
  h.add("X-Multi", "b");
  h.add("Accept-Encoding", "identity");
  HealthRequest r = get("/hdr", "127.0.0.1:1");
  r.host = "example.test";
  r.customHost = true;
  const auto w = healthRequestWire(r, h, "", true);
  CHECK(w.bytes ==
        "GET /hdr HTTP/1.1\r\nHost: example.test\r\nUser-Agent: Go-http-client/1.1\r\n"
        "Accept-Encoding: identity\r\nX-Empty: \r\nX-Multi: a\r\nX-Multi: b\r\nx-lower: v\r\n\r\n");
  CHECK_FALSE(w.askedGzip);  // the upstream's answer is left as it comes
}

TEST_CASE("health request: User-Agent, Range and Accept-Encoding by exact name, as Go's map",
          "[health_wire]") {
  HeaderList agent;
  agent.add("User-Agent", "probe/1");
  CHECK(healthRequestWire(get("/", "h"), agent, "", true).bytes ==
        "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: probe/1\r\nAccept-Encoding: gzip\r\n\r\n");
  HeaderList none;
  none.add("User-Agent", "");
  CHECK(healthRequestWire(get("/", "h"), none, "", true).bytes ==
        "GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
  HeaderList lower;  // not Go's canonical key: written as a field, the default agent stays
  lower.add("user-agent", "x");
  CHECK(healthRequestWire(get("/", "h"), lower, "", true).bytes ==
        "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nuser-agent: x\r\nAccept-Encoding: "
        "gzip\r\n\r\n");
  HeaderList range;
  range.add("Range", "bytes=0-1");
  CHECK_FALSE(healthRequestWire(get("/", "h"), range, "", true).askedGzip);
  HeaderList emptyEncoding;  // Go's Header.Get sees "": it still asks for gzip
  emptyEncoding.add("Accept-Encoding", "");
  const auto w = healthRequestWire(get("/", "h"), emptyEncoding, "", true);
  CHECK(w.askedGzip);
  CHECK(w.bytes ==
        "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: "
        "\r\nAccept-Encoding: gzip\r\n\r\n");
}

TEST_CASE("health request: HEAD asks for no gzip; a body goes with its length after User-Agent",
          "[health_wire]") {
  CHECK_FALSE(healthRequestWire({"HEAD", "/", "h", false, true}, HeaderList{}, "", true).askedGzip);
  HeaderList h;
  h.add("X-A", "1");
  CHECK(healthRequestWire({"POST", "/p", "h", false, true}, h, "ping", true).bytes ==
        "POST /p HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 4\r\nX-A: 1\r\n"
        "Accept-Encoding: gzip\r\n\r\nping");
  // after a 303 the body stays behind
  CHECK(healthRequestWire({"GET", "/p", "h", false, false}, HeaderList{}, "ping", true).bytes ==
        "GET /p HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\n\r\n");
}

TEST_CASE("health request: a followed redirect refers to the last URL, sorted with the fields",
          "[health_wire]") {
  HeaderList h;
  h.add("Host", "example.test");
  h.add("Referer", "configured");  // Go's client Sets it over a configured one
  h.add("X-A", "1");
  h.add("Accept", "*/*");
  HealthRequest first{"GET", "/redir?q=1", "example.test", true, true, "127.0.0.1:9000", ""};
  std::string why;
  const auto next = gatehouse::proxy::followRedirect(first, 302, "/final", false, why);
  REQUIRE(next);
  CHECK(next->referer == "http://127.0.0.1:9000/redir?q=1");  // the URL's host, not the Host field
  CHECK(next->urlHost == "127.0.0.1:9000");
  CHECK(healthRequestWire(*next, h, "", true).bytes ==
        "GET /final HTTP/1.1\r\nHost: example.test\r\nUser-Agent: Go-http-client/1.1\r\nAccept: */*\r\n"
        "Referer: http://127.0.0.1:9000/redir?q=1\r\nX-A: 1\r\nAccept-Encoding: gzip\r\n\r\n");
  const auto abs = gatehouse::proxy::followRedirect(*next, 301, "http://other.test:1/x", false, why);
  REQUIRE(abs);
  CHECK(abs->urlHost == "other.test:1");  // another pool key: a new connection
  CHECK(abs->referer == "http://127.0.0.1:9000/final");
}

TEST_CASE("health request over HTTP/2: Go's HTTP/2 transport fields", "[health_wire]") {
  // Recorded from caddy 2.6.2 checking an h2c upstream (decoded HPACK, sorted): the same
  // fields and values.
  HeaderList headers;
  headers.emplaceBack("X-Custom", "a");
  headers.emplaceBack("Cookie", "a=1; b=2");
  const auto h =
      gatehouse::proxy::healthRequestH2(get("/health?x=1", "127.0.0.1:9000"), headers, "", true, false);
  CHECK(h.head.method == "GET");
  CHECK(h.head.scheme == "http");
  CHECK(h.head.authority == "127.0.0.1:9000");
  CHECK(h.head.path == "/health?x=1");
  CHECK_FALSE(h.head.body);
  CHECK(h.askedGzip);
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& f : h.head.fields) {
    fields.emplace_back(f.name, f.value);
  }
  std::sort(fields.begin(), fields.end());
  CHECK(fields == std::vector<std::pair<std::string, std::string>>{{"accept-encoding", "gzip"},
                                                                   {"cookie", "a=1"},
                                                                   {"cookie", "b=2"},
                                                                   {"user-agent", "Go-http-client/2.0"},
                                                                   {"x-custom", "a"}});
}

TEST_CASE("health request over HTTP/2: a body, TLS, an empty User-Agent", "[health_wire]") {
  HeaderList headers;
  headers.emplaceBack("User-Agent", "");
  HealthRequest r = get("/", "localhost");
  r.method = "POST";
  const auto h = gatehouse::proxy::healthRequestH2(r, headers, "abc", false, true);
  CHECK(h.head.scheme == "https");
  CHECK(h.head.body);
  CHECK(h.body == "abc");
  CHECK_FALSE(h.askedGzip);
  REQUIRE(h.head.fields.size() == 1);
  CHECK(h.head.fields.begin()->name == "content-length");
  CHECK(h.head.fields.begin()->value == "3");
}

TEST_CASE("health request: keepalive off adds Go's Connection: close after Accept-Encoding",
          "[health_wire]") {
  CHECK(healthRequestWire(get("/", "h"), HeaderList{}, "", true, true).bytes ==
        "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nAccept-Encoding: gzip\r\nConnection: "
        "close\r\n\r\n");
  HeaderList asked;  // a configured Connection: close already asks for it (Go's wantsClose)
  asked.add("Connection", "close");
  CHECK(healthRequestWire(get("/", "h"), asked, "", false, true).bytes ==
        "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nConnection: close\r\n\r\n");
}
