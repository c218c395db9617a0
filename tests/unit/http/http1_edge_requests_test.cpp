// Odd but valid-looking request heads, answered as caddy 2.6.2 (Go's net/http) answers them:
// HTTP/2's preface on a cleartext HTTP/1 server, CONNECT without Host, versions other than
// 1.0/1.1, the status line of Go's own refusals, and which requests reach the handlers (and
// so the access log) at all. Compared with caddy in tests/compat/cases/edge_request_line.
#include <catch2/catch.hpp>
#include <string>

#include "http/http1_session.h"

using gatehouse::http::DateCache;
using gatehouse::http::Http1Session;
using gatehouse::http::RequestHandler;
using gatehouse::http::SessionLimits;
using gatehouse::http::Transport;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;

namespace {

class MemoryTransport final : public Transport {
 public:
  std::string out;
  bool closed = false;
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
  gatehouse::runtime::WorkerState state{nullptr};
};

// Answers what it saw; counts the exchanges reported finished (what the access log writes).
class SeeingHandler final : public RequestHandler {
 public:
  int calls = 0;
  int finishedCount = 0;
  std::string lastMethod;
  Outcome handle(Exchange& ex) override {
    ++calls;
    const auto& r = ex.request;
    return ex.respond(200, r.method + " " + r.rawPath + " host=" + r.host +
                               " v=" + std::to_string(r.versionMajor) + "." + std::to_string(r.versionMinor));
  }
  Outcome resumed(Exchange& /*ex*/) override { return Outcome::Handled; }
  void finished(const Exchange& ex) override {
    ++finishedCount;
    lastMethod = ex.request.method;
  }
};

struct Fixture {
  MemoryTransport transport;
  SeeingHandler handler;
  DateCache dates;
  std::unique_ptr<Http1Session> session =
      std::make_unique<Http1Session>(transport, handler, dates, SessionLimits{1 << 20});
  void feed(const std::string& bytes) { session->onData(bytes.data(), bytes.size()); }
  void end() { session.reset(); }  // as the connection going away
};

}  // namespace

TEST_CASE("HTTP/2's preface without h2c is a PRI request that closes the connection") {
  Fixture f;
  f.feed("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  CHECK(f.handler.calls == 1);
  CHECK(f.transport.out.starts_with("HTTP/1.1 200 OK\r\n"));  // not "HTTP/1.0" for minor 0
  CHECK(f.transport.out.find("Connection: close\r\n") != std::string::npos);
  CHECK(f.transport.out.ends_with("PRI * host= v=2.0"));
  CHECK(f.transport.closed);
  f.end();
  CHECK(f.handler.finishedCount == 1);
  CHECK(f.handler.lastMethod == "PRI");
}

TEST_CASE("the preface byte by byte, and frames after it, change nothing") {
  Fixture f;
  const std::string in =
      std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\0\0\0\4\0\0\0\0\0", 9);
  for (char c : in) {
    f.feed(std::string(1, c));
  }
  CHECK(f.handler.calls == 1);
  CHECK(f.transport.closed);
}

TEST_CASE("PRI that is not Go's h2 upgrade request") {
  SECTION("a path: 505") {
    Fixture f;
    f.feed("PRI /x HTTP/2.0\r\n\r\nSM\r\n\r\n");
    CHECK(f.transport.out.starts_with(
        "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version\r\n"));
    CHECK(f.handler.calls == 0);
  }
  SECTION("HTTP/1.1 without Host: Go's missing Host") {
    Fixture f;
    f.feed("PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n");
    CHECK(f.transport.out.starts_with("HTTP/1.1 400 Bad Request: missing required Host header\r\n"));
    CHECK(f.handler.calls == 0);
  }
}

TEST_CASE("CONNECT needs no Host field, whatever its target") {
  Fixture f;
  f.feed("CONNECT /rpc HTTP/1.1\r\n\r\nGET /n HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(f.handler.calls == 2);
  CHECK(f.transport.out.find("CONNECT /rpc host= v=1.1") != std::string::npos);
  CHECK_FALSE(f.transport.closed);
}

TEST_CASE("an absolute-form target does not stand in for the Host field") {
  SECTION("HTTP/1.1 without Host: 400") {
    Fixture f;
    f.feed("GET http://o.test/x HTTP/1.1\r\n\r\n");
    CHECK(f.transport.out.starts_with("HTTP/1.1 400 Bad Request: missing required Host header\r\n"));
  }
  SECTION("a malformed Host field is refused even so") {
    Fixture f;
    f.feed("GET http://o.test/x HTTP/1.1\r\nHost: a b\r\n\r\n");
    CHECK(f.transport.out.starts_with("HTTP/1.1 400 Bad Request: malformed Host header\r\n"));
  }
  SECTION("HTTP/1.0: the authority is the host") {
    Fixture f;
    f.feed("GET http://o.test/x HTTP/1.0\r\n\r\n");
    CHECK(f.transport.out.ends_with("GET /x host=o.test v=1.0"));
  }
}

TEST_CASE("versions: 1.x is HTTP/1.1, others get Go's 505") {
  SECTION("HTTP/1.2") {
    Fixture f;
    f.feed("GET /a HTTP/1.2\r\nHost: h\r\n\r\n");
    CHECK(f.transport.out.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(f.transport.out.ends_with("v=1.2"));
    CHECK_FALSE(f.transport.closed);
  }
  for (const char* v : {"2.0", "0.9", "3.0"}) {
    INFO(v);
    Fixture f;
    f.feed(std::string("GET /a HTTP/") + v + "\r\nHost: h\r\n\r\n");
    CHECK(f.transport.out.starts_with(
        "HTTP/1.1 505 HTTP Version Not Supported: unsupported protocol version\r\n"));
    CHECK(f.transport.out.ends_with("\r\n\r\n505 HTTP Version Not Supported: unsupported protocol version"));
    CHECK(f.transport.closed);
    CHECK(f.handler.calls == 0);
  }
}

TEST_CASE("a request line without a version is Go's malformed line: plain 400") {
  // llhttp reads "GET /" as HTTP/0.9; Go's parseRequestLine finds no protocol.
  Fixture f;
  f.feed("GET /\r\nHost: h\r\n\r\n");
  CHECK(f.transport.out.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(f.transport.out.ends_with("\r\n\r\n400 Bad Request"));
  CHECK(f.transport.closed);
  CHECK(f.handler.calls == 0);
}

TEST_CASE("requests Go's server answers itself never reach the handlers' log") {
  for (const char* in : {"GET / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
                         "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
                         "POST / HTTP/1.1\r\nHost: h\r\nExpect: nope\r\nContent-Length: 1\r\n\r\nx"}) {
    INFO(in);
    Fixture f;
    f.feed(in);
    CHECK_FALSE(f.transport.out.empty());
    f.end();
    CHECK(f.handler.calls == 0);
    CHECK(f.handler.finishedCount == 0);
  }
}

TEST_CASE("methods llhttp does not know are Go's any token") {
  for (const char* m : {"FOO", "get", "BREW", "GETX", "VERSION-CONTROL", "x"}) {
    INFO(m);
    Fixture f;
    f.feed(std::string(m) + " /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab" +
           "GET /n HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(f.handler.calls == 2);
    CHECK(f.transport.out.find(std::string("\r\n\r\n") + m + " /a host=h v=1.1") != std::string::npos);
    CHECK(f.transport.out.find("GET /n host=h") != std::string::npos);
    CHECK_FALSE(f.transport.closed);
    f.end();
    CHECK(f.handler.finishedCount == 2);
  }
}

TEST_CASE("an unknown method split across reads, and pipelined after a known one") {
  const std::string stream =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPROPFINDX /2 HTTP/1.1\r\nHost: h\r\n\r\n"
      "brew /3 HTTP/1.1\r\nHost: h\r\n\r\nGE /4 HTTP/1.1\r\nHost: h\r\n\r\n";
  for (size_t step : {1, 2, 3, 5, 7, 1000}) {
    INFO(step);
    Fixture f;
    for (size_t at = 0; at < stream.size(); at += step) {
      f.feed(stream.substr(at, step));
    }
    CHECK(f.handler.calls == 4);
    CHECK(f.transport.out.find("PROPFINDX /2 host=h") != std::string::npos);
    CHECK(f.transport.out.find("brew /3 host=h") != std::string::npos);
    CHECK(f.transport.out.find("GE /4 host=h") != std::string::npos);
  }
}

TEST_CASE("a method that is no token is still Go's 400") {
  for (const char* in : {"G\x01T / HTTP/1.1\r\nHost: h\r\n\r\n", " / HTTP/1.1\r\nHost: h\r\n\r\n",
                         "FOO  /x HTTP/1.1\r\nHost: h\r\n\r\n", "FO(O /x HTTP/1.1\r\nHost: h\r\n\r\n"}) {
    INFO(in);
    Fixture f;
    f.feed(in);
    CHECK(f.transport.out.starts_with("HTTP/1.1 400 Bad Request"));
    CHECK(f.handler.calls == 0);
    CHECK(f.transport.closed);
  }
}
