// Dialling upstreams: tcp4/ and tcp6/ network forcing, dial_fallback_delay's JSON forms, the
// RFC 6724 order of a name's addresses, and DialRace (Happy Eyeballs) on a real loop against
// loopback listeners.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <memory>

#include "gatehouse/config/site_graph.h"
#include "provision/provision_error.h"
#include "proxy/host_lookup_order.h"
#include "proxy/upstream_address.h"
#include "proxy/upstream_dial_race.h"
#include "proxy/upstream_transport.h"

using gatehouse::config::Json;
using gatehouse::proxy::AddressList;
using gatehouse::proxy::destinationPrecedence;
using gatehouse::proxy::DialRace;
using gatehouse::proxy::sortDestinations;
using gatehouse::proxy::TransportConfig;
using gatehouse::proxy::UpstreamAddress;
using std::chrono::milliseconds;

namespace {

sockaddr_storage ip(const char* text, int port) {
  sockaddr_storage s{};
  if (uv_ip4_addr(text, port, reinterpret_cast<sockaddr_in*>(&s)) != 0) {
    uv_ip6_addr(text, port, reinterpret_cast<sockaddr_in6*>(&s));
  }
  return s;
}

std::string text(const sockaddr_storage& s) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (s.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&s), buf, sizeof buf);
  } else {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&s), buf, sizeof buf);
  }
  return buf;
}

// A listening socket on a free loopback port of `family` (port 0 picks one).
struct Listener {
  int fd = -1;
  int port = 0;
  // `mayFail`: a bind to a chosen port another process holds leaves port 0 (the caller
  // picks again) instead of failing the test.
  Listener(int family, int wantPort, int backlog, bool mayFail = false) {
    fd = ::socket(family, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    sockaddr_storage a = ip(family == AF_INET6 ? "::1" : "127.0.0.1", wantPort);
    const socklen_t len = family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0;
    if (!bound && mayFail) {
      return;
    }
    REQUIRE(bound);
    REQUIRE(::listen(fd, backlog) == 0);
    socklen_t l = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l);
    port = ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }
  ~Listener() { ::close(fd); }
};

struct RaceResult {
  int status = 1;
  std::string winner;
  uint64_t ms = 0;
};

RaceResult race(AddressList addresses, DialRace::Settings settings) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  RaceResult r;
  const uint64_t start = uv_now(&loop);
  {
    DialRace dial(&loop, std::move(addresses), settings,
                  [&](int status, uv_os_sock_t s, const sockaddr_storage& w) {
                    r.status = status;
                    r.winner = status == 0 ? text(w) : "";
                    r.ms = uv_now(&loop) - start;
                    if (status == 0) {
                      ::close(s);
                    }
                  });
    const int rc = dial.start();
    if (rc != 0) {
      r.status = rc;
    } else {
      while (r.status == 1 && uv_run(&loop, UV_RUN_ONCE) != 0) {
      }
    }
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // close callbacks
  uv_loop_close(&loop);
  return r;
}

}  // namespace

TEST_CASE("tcp4/ and tcp6/ upstreams keep their family", "[proxy][dial]") {
  std::string err;
  auto a = UpstreamAddress::parse("tcp4/example.test:80", err);
  REQUIRE(a);
  CHECK(a->family == AF_INET);
  CHECK(a->resolve);
  auto b = UpstreamAddress::parse("tcp6/[::1]:80", err);
  REQUIRE(b);
  CHECK(b->family == AF_INET6);
  CHECK_FALSE(b->unsuitableAddress());
  auto c = UpstreamAddress::parse("tcp4/[::1]:80", err);
  REQUIRE(c);
  CHECK(c->unsuitableAddress());  // Go fails the dial: no suitable address
  auto d = UpstreamAddress::parse("tcp6/localhost:80", err);
  REQUIRE(d);
  CHECK(text(d->addr) == "::1");
  auto e = UpstreamAddress::parse("tcp/localhost:80", err);
  REQUIRE(e);
  CHECK(e->family == AF_UNSPEC);
  CHECK(text(e->addr) == "127.0.0.1");
}

TEST_CASE("dial_fallback_delay keeps negative values negative", "[proxy][dial]") {
  CHECK(TransportConfig::parseFallbackDelay(Json(150'000'000), "p") == milliseconds(150));
  CHECK(TransportConfig::parseFallbackDelay(Json(-1'000'000'000), "p") == milliseconds(-1000));
  CHECK(TransportConfig::parseFallbackDelay(Json(-1), "p") < milliseconds(0));  // -1ns: off, as Go
  CHECK(TransportConfig::parseFallbackDelay(Json("-1ns"), "p") < milliseconds(0));
  CHECK(TransportConfig::parseFallbackDelay(Json("-2s"), "p") == milliseconds(-2000));
  CHECK(TransportConfig::parseFallbackDelay(Json("0"), "p") == milliseconds(0));
  CHECK_THROWS_AS(TransportConfig::parseFallbackDelay(Json("soon"), "p"),
                  gatehouse::provision::ProvisionError);
}

TEST_CASE("a name's addresses are ordered as RFC 6724 (rules 1 and 6)", "[proxy][dial]") {
  CHECK(destinationPrecedence(ip("::1", 1)) == 50);
  CHECK(destinationPrecedence(ip("2001:db8::1", 1)) == 40);
  CHECK(destinationPrecedence(ip("127.0.0.1", 1)) == 35);
  CHECK(destinationPrecedence(ip("2002:c000:204::1", 1)) == 30);
  CHECK(destinationPrecedence(ip("2001:0:1::1", 1)) == 5);
  CHECK(destinationPrecedence(ip("fd00::1", 1)) == 3);
  CHECK(destinationPrecedence(ip("fec0::1", 1)) == 1);
  AddressList list{ip("127.0.0.1", 80), ip("127.0.0.2", 80), ip("::1", 80)};
  sortDestinations(list);
  REQUIRE(list.size() == 3);
  CHECK(text(list[0]) == "::1");
  CHECK(text(list[1]) == "127.0.0.1");  // equal ones keep the DNS order
  CHECK(text(list[2]) == "127.0.0.2");
}

TEST_CASE("DialRace: the fallback family wins after the delay when the first hangs", "[proxy][dial]") {
  Listener v4(AF_INET, 0, 16);
  Listener hole(AF_INET6, v4.port, 0);
  int filler = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_storage h = ip("::1", v4.port);
  REQUIRE(::connect(filler, reinterpret_cast<sockaddr*>(&h), sizeof(sockaddr_in6)) == 0);  // fills the queue
  // The primary can only hang (its SYN is dropped) until its 20 s dial timeout. The loop's
  // timer makes "not before the delay" exact; the upper bound only has to show the winner did
  // not wait for the primary's timeout, so it stays far from anything a loaded machine adds.
  auto r =
      race({ip("::1", v4.port), ip("127.0.0.1", v4.port)}, {milliseconds(100), milliseconds(20000), nullptr});
  CHECK(r.status == 0);
  CHECK(r.winner == "127.0.0.1");
  CHECK(r.ms >= 100);
  CHECK(r.ms < 10000);
  ::close(filler);
}

TEST_CASE("DialRace: a refused first family falls back at once", "[proxy][dial]") {
  Listener v4(AF_INET, 0, 16);
  // Nothing listens on [::1]:port (if another process does, the race still succeeds).
  auto r =
      race({ip("::1", v4.port), ip("127.0.0.1", v4.port)}, {milliseconds(30000), milliseconds(0), nullptr});
  CHECK(r.status == 0);
  CHECK(r.ms < 15000);  // did not wait for the 30 s delay (a refusal takes about a millisecond)
}

TEST_CASE("DialRace: the first family wins when it answers", "[proxy][dial]") {
  // Both families on one port number: the IPv4 side of a free IPv6 port may be taken by
  // another process (tests run in parallel), so a few ports are tried.
  std::unique_ptr<Listener> v6;
  std::unique_ptr<Listener> v4;
  for (int attempt = 0; attempt < 20 && (v4 == nullptr || v4->port == 0); ++attempt) {
    v6 = std::make_unique<Listener>(AF_INET6, 0, 16);
    v4 = std::make_unique<Listener>(AF_INET, v6->port, 16, true);
  }
  REQUIRE(v4->port == v6->port);
  auto r =
      race({ip("::1", v6->port), ip("127.0.0.1", v6->port)}, {milliseconds(0), milliseconds(0), nullptr});
  CHECK(r.status == 0);
  CHECK(r.winner == "::1");
}

TEST_CASE("DialRace: every address refused is the primaries' error", "[proxy][dial]") {
  int port = 0;
  {
    Listener gone(AF_INET, 0, 1);
    port = gone.port;
  }
  auto r = race({ip("127.0.0.1", port), ip("127.0.0.1", port)}, {milliseconds(-1), milliseconds(0), nullptr});
  CHECK(r.status == UV_ECONNREFUSED);
}

TEST_CASE("DialRace: a local address keeps only its family", "[proxy][dial]") {
  Listener v4(AF_INET, 0, 16);
  const sockaddr_storage local = ip("127.0.0.1", 0);
  auto r = race({ip("::1", v4.port), ip("127.0.0.1", v4.port)}, {milliseconds(0), milliseconds(0), &local});
  CHECK(r.status == 0);
  CHECK(r.winner == "127.0.0.1");
  const sockaddr_storage local6 = ip("::1", 0);
  CHECK(race({ip("127.0.0.1", v4.port)}, {milliseconds(0), milliseconds(0), &local6}).status ==
        UV_EAI_ADDRFAMILY);
}
