// A dormant HTTP/1.1 session (between requests, nothing buffered) may be dropped by its
// connection and made again for the next request; its request state goes back to the
// worker's pool. These cases pin down when a session says it is dormant, and that a pooled
// scratch carries nothing of the connection that used it before.
#include <catch2/catch.hpp>
#include <string>

#include "http/http1_scratch.h"
#include "http/http1_session.h"

using gatehouse::http::DateCache;
using gatehouse::http::Http1ScratchPool;
using gatehouse::http::Http1Session;
using gatehouse::http::PeerInfo;
using gatehouse::http::RequestHandler;
using gatehouse::http::SessionLimits;
using gatehouse::http::Transport;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;

namespace {

class PooledTransport final : public Transport {
 public:
  std::string out;
  bool closed = false;
  Http1ScratchPool pool;
  void write(std::string& bytes) override {
    out += bytes;
    bytes.clear();
  }
  void close(bool /*abort*/) override { closed = true; }
  void pauseReading() override {}
  void resumeReading() override {}
  void setPhase(Phase /*p*/) override {}
  [[nodiscard]] bool drained() const override { return true; }
  uv_loop_t* loop() override { return nullptr; }
  void shutdownWrite() override {}
  gatehouse::runtime::WorkerState& worker() override { return state; }
  Http1ScratchPool* http1Scratch() override { return &pool; }
  gatehouse::runtime::WorkerState state{nullptr};
};

class IpHandler final : public RequestHandler {
 public:
  Outcome handle(Exchange& ex) override {
    ex.response.headers.add("X-Seen-Header", std::string(ex.request.headers.get("X")));
    return ex.respond(200, "ip=" + ex.request.remoteIp + " tls=" + (ex.request.tlsInfo ? "yes" : "no"));
  }
  Outcome resumed(Exchange& /*ex*/) override { return Outcome::Handled; }
};

struct Fixture {
  PooledTransport transport;
  IpHandler handler;
  DateCache dates;
};

void feed(Http1Session& s, const std::string& bytes) {
  s.onData(bytes.data(), bytes.size());
}

}  // namespace

TEST_CASE("a session is dormant only between requests with nothing buffered") {
  Fixture f;
  Http1Session s(f.transport, f.handler, f.dates, SessionLimits{4096});
  CHECK(s.dormant());
  feed(s, "GET / HTTP/1.1\r\nHo");
  CHECK_FALSE(s.dormant());  // a head is half read
  feed(s, "st: a\r\n\r\n");
  CHECK(s.dormant());
  // A pipelined request arriving with the end of another: not dormant until both answered.
  feed(s, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\n");
  CHECK_FALSE(s.dormant());
  feed(s, "Host: a\r\n\r\n");
  CHECK(s.dormant());
  CHECK(f.transport.out.find("HTTP/1.1 200") != std::string::npos);
}

TEST_CASE("a session that saw EOF, an error or a close is never dormant") {
  Fixture f;
  {
    Http1Session s(f.transport, f.handler, f.dates, SessionLimits{4096});
    feed(s, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    CHECK_FALSE(s.dormant());
  }
  {
    Http1Session s(f.transport, f.handler, f.dates, SessionLimits{4096});
    feed(s, "BOGUS\r\n\r\n");
    CHECK_FALSE(s.dormant());
  }
  {
    Http1Session s(f.transport, f.handler, f.dates, SessionLimits{4096});
    s.onEof();
    CHECK_FALSE(s.dormant());
  }
}

TEST_CASE("request state goes back to the pool without the connection's facts") {
  Fixture f;
  {
    Http1Session s(f.transport, f.handler, f.dates, SessionLimits{4096});
    PeerInfo peer;
    peer.remoteIp = "192.0.2.7";
    peer.tls = true;
    peer.tlsInfo = std::make_shared<gatehouse::runtime::TlsInfo>();
    s.setPeer(peer);
    feed(s, "GET / HTTP/1.1\r\nHost: a\r\nX: secret\r\n\r\n");
    CHECK(f.transport.out.find("ip=192.0.2.7 tls=yes") != std::string::npos);
  }
  REQUIRE(f.transport.pool.freeCount() == 1);
  f.transport.out.clear();
  {
    // The next session reuses the scratch: nothing of the first request or peer shows.
    Http1Session s(f.transport, f.handler, f.dates, SessionLimits{4096});
    CHECK(f.transport.pool.freeCount() == 0);
    feed(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(f.transport.out.find("ip= tls=no") != std::string::npos);
    CHECK(f.transport.out.find("X-Seen-Header: \r\n") != std::string::npos);
  }
  CHECK(f.transport.pool.freeCount() == 1);
}
