#include "proxy/upstream_transport.h"

#include <arpa/inet.h>
#include <zlib.h>

#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "provision/provision_error.h"
#include "proxy/gzip_inflater.h"
#include "proxy/proxy_config.h"
#include "proxy/proxy_protocol.h"
#include "proxy/upstream_resolver.h"

using gatehouse::config::Json;
using gatehouse::proxy::GzipInflater;
using gatehouse::proxy::ProxyConfig;
using gatehouse::proxy::ProxyProtocol;
using gatehouse::proxy::proxyProtocolHeader;
using gatehouse::proxy::TransportConfig;

namespace {

sockaddr_storage v4(const char* ip, int port) {
  sockaddr_storage s{};
  uv_ip4_addr(ip, port, reinterpret_cast<sockaddr_in*>(&s));
  return s;
}

std::string gzipOf(const std::string& plain) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(plain.size() + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

std::unique_ptr<ProxyConfig> parse(const std::string& transport) {
  gatehouse::config::Handler h;
  h.name = "reverse_proxy";
  h.fields = Json::parse(R"({"upstreams": [{"dial": "127.0.0.1:1"}], "transport": )" + transport + "}");
  return ProxyConfig::parse(h, "h", gatehouse::handlers::RouteCompiler{});
}

}  // namespace

TEST_CASE("PROXY protocol v1 and v2 headers name the client and the upstream") {
  const auto up = v4("10.0.0.2", 8080);
  CHECK(proxyProtocolHeader(ProxyProtocol::V1, "192.0.2.7", 51000, up) ==
        "PROXY TCP4 192.0.2.7 10.0.0.2 51000 8080\r\n");
  CHECK(proxyProtocolHeader(ProxyProtocol::V1, "not-an-ip", 1, up) == "PROXY UNKNOWN\r\n");
  const std::string v2 = proxyProtocolHeader(ProxyProtocol::V2, "192.0.2.7", 51000, up);
  REQUIRE(v2.size() == 28);
  CHECK(v2.substr(0, 12) == std::string("\r\n\r\n\0\r\nQUIT\n", 12));
  CHECK(static_cast<unsigned char>(v2[12]) == 0x21);
  CHECK(static_cast<unsigned char>(v2[13]) == 0x11);
  CHECK(v2.substr(16, 4) == std::string("\xc0\x00\x02\x07", 4));
  CHECK(v2.substr(24, 2) == std::string("\xc7\x38", 2));  // 51000
  // An IPv6 client towards an IPv4 upstream: both as IPv6 (v4-mapped).
  CHECK(proxyProtocolHeader(ProxyProtocol::V1, "2001:db8::1", 2, up) ==
        "PROXY TCP6 2001:db8::1 ::ffff:10.0.0.2 2 8080\r\n");
}

TEST_CASE("gzip decoding streams, joins members and notices truncation") {
  std::string plain(100000, 'a');
  for (size_t i = 0; i < plain.size(); i += 7)
    plain[i] = static_cast<char>('a' + i % 26);
  const std::string gz = gzipOf(plain) + gzipOf("tail");
  GzipInflater in;
  std::string out;
  auto take = [&](std::string_view p) {
    out.append(p);
    return true;
  };
  for (size_t i = 0; i < gz.size(); i += 100) {
    const std::string_view piece = std::string_view(gz).substr(i, 100);
    const auto used = in.feed(piece, take);
    REQUIRE(used);
    REQUIRE(*used == piece.size());
  }
  CHECK(out == plain + "tail");
  CHECK(in.complete());
  GzipInflater cut;
  CHECK(cut.feed(std::string_view(gz).substr(0, gz.size() / 3), [](std::string_view) { return true; }));
  CHECK_FALSE(cut.complete());
  GzipInflater bad;
  CHECK_FALSE(bad.feed("definitely not gzip", [](std::string_view) { return true; }));
}

TEST_CASE("gzip decoding stops when the reader is full and goes on from there") {
  // 8 MiB of zeros compress to a few KiB: one call must not decode them all at once.
  const std::string plain(8 << 20, '\0');
  const std::string gz = gzipOf(plain);
  GzipInflater in;
  size_t decoded = 0;
  size_t calls = 0;
  size_t offset = 0;
  while (calls < 100000 && (offset < gz.size() || in.moreOutput())) {
    ++calls;
    size_t thisCall = 0;
    const auto used = in.feed(std::string_view(gz).substr(offset), [&](std::string_view p) {
      thisCall += p.size();
      return thisCall < 64 * 1024;  // a reader that takes 64 KiB per turn
    });
    REQUIRE(used);
    offset += *used;
    decoded += thisCall;
    CHECK(thisCall <= 64 * 1024);
  }
  CHECK(decoded == plain.size());
  CHECK(in.complete());
  CHECK(calls >= plain.size() / (64 * 1024));
}

TEST_CASE("transparent compression asks for gzip only when the client named no encoding") {
  TransportConfig t;
  gatehouse::runtime::HeaderList h;
  CHECK(t.wantsGzip(h, "GET"));
  gatehouse::runtime::HeaderList asked;
  asked.add("Accept-Encoding", "br");
  CHECK_FALSE(t.wantsGzip(asked, "GET"));
  gatehouse::runtime::HeaderList range;
  range.add("Range", "bytes=0-1");
  CHECK_FALSE(t.wantsGzip(range, "GET"));
  // The method sent upstream decides: forward_auth sends GET for a client's HEAD, and asks.
  CHECK_FALSE(t.wantsGzip(h, "HEAD"));
  t.compression = false;
  CHECK_FALSE(t.wantsGzip(h, "GET"));
}

TEST_CASE("transport options: local_address, proxy_protocol, tls parse; bad values name their path") {
  CHECK(TransportConfig::parseLocalAddress("127.0.0.2"));
  CHECK(TransportConfig::parseLocalAddress("127.0.0.2:0"));
  CHECK(TransportConfig::parseLocalAddress("[::1]:4000"));
  CHECK(TransportConfig::parseLocalAddress("::1"));
  CHECK_FALSE(TransportConfig::parseLocalAddress("example.com"));
  CHECK_FALSE(TransportConfig::parseLocalAddress("127.0.0.1:99999"));
  auto c = parse(
      R"({"protocol": "http", "proxy_protocol": "v2", "compression": false, "tls": {"insecure_skip_verify": true}})");
  CHECK(c->transport.proxyProtocol == ProxyProtocol::V2);
  CHECK_FALSE(c->keepAlive.enabled);  // a PROXY header belongs to one client
  CHECK_FALSE(c->transport.compression);
  CHECK(c->transport.tls);
  auto fails = [](const std::string& t, const std::string& path) {
    try {
      parse(t);
      FAIL("accepted: " << t);
    } catch (const gatehouse::provision::ProvisionError& e) {
      CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
  };
  fails(R"({"protocol": "http", "proxy_protocol": "v3"})", "h.transport.proxy_protocol");
  fails(R"({"protocol": "http", "local_address": "nowhere"})", "h.transport.local_address");
  fails(R"({"protocol": "http", "tls": {"root_ca_pem_files": ["/nonexistent.pem"]}})",
        "h.transport.tls.root_ca_pem_files");
  fails(R"({"protocol": "http", "tls": {"renegotiation": "sometimes"}})", "h.transport.tls.renegotiation");
  for (const char* level : {"never", "once", "freely"}) {
    CHECK(parse(std::string(R"({"protocol": "http", "tls": {"renegotiation": ")") + level + "\"}}")
              ->transport.tls);
  }
  fails(R"({"protocol": "http", "tls": {"ca": {"provider": "pki_root"}}})", "h.transport.tls.ca.provider");
  fails(R"({"protocol": "http", "tls": {"server_name": "{http.request.host}"}})",
        "h.transport.tls.server_name");
}

TEST_CASE("resolver addresses as Caddy writes them") {
  using gatehouse::proxy::ResolverAddress;
  auto a = ResolverAddress::parse("1.1.1.1");
  REQUIRE(a);
  CHECK((a->ip == "1.1.1.1" && a->port == 53 && !a->tcp));
  auto b = ResolverAddress::parse("tcp/127.0.0.1:5353");
  REQUIRE(b);
  CHECK((b->ip == "127.0.0.1" && b->port == 5353 && b->tcp));
  auto c = ResolverAddress::parse("udp/[::1]:54");
  REQUIRE(c);
  CHECK((c->ip == "::1" && c->port == 54));
  CHECK(ResolverAddress::parse("2001:db8::53"));
  CHECK_FALSE(ResolverAddress::parse("dns.example:53"));
  CHECK_FALSE(ResolverAddress::parse("1.1.1.1:0"));
  CHECK_FALSE(ResolverAddress::parse("1.1.1.1:x"));
}
