// The asynchronous side of Http1Session (ExchangeHost): pause/resume, request body pulls
// with back-pressure and max size, tunnel mode, cancellation when the connection goes.
// Driven from memory with a real libuv loop for the deferred deliveries.

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>

#include "http/http1_session.h"

using gatehouse::http::DateCache;
using gatehouse::http::Http1Session;
using gatehouse::http::RequestHandler;
using gatehouse::http::SessionLimits;
using gatehouse::http::Transport;
using gatehouse::runtime::BodySink;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;
using gatehouse::runtime::PendingWork;
using gatehouse::runtime::TunnelPeer;

namespace {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);  // let closing handles finish
    uv_loop_close(&loop);
  }
  // Runs queued idle work until nothing is left (bounded).
  void spin() {
    for (int i = 0; i < 50; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
    }
  }
};

class LoopTransport final : public Transport {
 public:
  explicit LoopTransport(uv_loop_t* l) : loop_(l), state(l) {}
  std::string out;
  bool closed = false;
  bool aborted = false;
  bool reading = true;
  bool writeShut = false;
  void write(std::string& bytes) override {
    out += bytes;
    bytes.clear();
  }
  void close(bool abort) override {
    closed = true;
    aborted = abort;
  }
  void shutdownWrite() override { writeShut = true; }
  void pauseReading() override { reading = false; }
  void resumeReading() override { reading = true; }
  void setPhase(Phase) override {}
  [[nodiscard]] bool drained() const override { return true; }
  uv_loop_t* loop() override { return loop_; }
  gatehouse::runtime::WorkerState& worker() override { return state; }

 private:
  uv_loop_t* loop_;

 public:
  gatehouse::runtime::WorkerState state;
};

struct Flag final : PendingWork {
  bool* destroyed;
  explicit Flag(bool* d) : destroyed(d) {}
  ~Flag() override { *destroyed = true; }
};

// A handler whose behaviour each test sets.
class ScriptedHandler final : public RequestHandler {
 public:
  std::function<Outcome(Exchange&)> onHandle;
  std::function<Outcome(Exchange&)> onResumed = [](Exchange&) { return Outcome::Handled; };
  int finishedCount = 0;
  Outcome handle(Exchange& ex) override { return onHandle(ex); }
  Outcome resumed(Exchange& ex) override { return onResumed(ex); }
  void finished(const Exchange&) override { ++finishedCount; }
};

// Collects a pulled request body.
struct Collector final : BodySink {
  std::string data;
  bool eof = false;
  int error = 0;
  int pieces = 0;
  void onBodyData(std::string_view d, bool e) override {
    data.append(d);
    eof = e;
    ++pieces;
  }
  void onBodyError(int err) override { error = err; }
};

struct Fixture {
  Loop loop;
  LoopTransport transport{&loop.loop};
  ScriptedHandler handler;
  DateCache dates;
  std::unique_ptr<Http1Session> session =
      std::make_unique<Http1Session>(transport, handler, dates, SessionLimits{8192});
  void feed(const std::string& bytes) { session->onData(bytes.data(), bytes.size()); }
};

}  // namespace

TEST_CASE("a paused handler answers after resume(), then the next request is served") {
  Fixture f;
  Exchange* paused = nullptr;
  f.handler.onHandle = [&](Exchange& ex) {
    if (ex.request.path == "/later") {
      paused = &ex;
      return Outcome::Paused;
    }
    return ex.respond(200, "now");
  };
  f.handler.onResumed = [](Exchange& ex) {
    ex.response.status = 201;
    ex.response.body = "later";
    return Outcome::Handled;
  };
  f.feed("GET /later HTTP/1.1\r\nHost: a\r\n\r\nGET /now HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(f.transport.out.empty());
  REQUIRE(paused != nullptr);
  paused->host->resume();
  CHECK(f.transport.out.empty());  // never from inside resume()
  f.loop.spin();
  const auto first = f.transport.out.find("HTTP/1.1 201 Created");
  const auto second = f.transport.out.find("HTTP/1.1 200 OK");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);
  CHECK(f.transport.out.find("later") < second);
  CHECK(f.handler.finishedCount == 2);
}

TEST_CASE("the request body is pulled with back-pressure and ends with eof") {
  Fixture f;
  Exchange* ex = nullptr;
  f.handler.onHandle = [&](Exchange& e) {
    ex = &e;
    return Outcome::Paused;
  };
  const std::string big(200 * 1024, 'b');
  f.feed("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(big.size() + 10) + "\r\n\r\n");
  REQUIRE(ex != nullptr);
  CHECK(ex->request.bodyLength == big.size() + 10);
  // Nobody pulls: past the high-water mark reading stops.
  for (size_t i = 0; i < big.size(); i += 16 * 1024) {
    f.feed(big.substr(i, 16 * 1024));
    if (!f.transport.reading) {
      break;
    }
  }
  CHECK_FALSE(f.transport.reading);
  Collector c;
  ex->host->requestBody().pull(&f.loop.loop, c);
  CHECK(c.pieces == 0);  // never from inside pull()
  f.loop.spin();
  CHECK(c.pieces == 1);
  CHECK(c.data.size() >= 64 * 1024);
  CHECK(f.transport.reading);  // drained: reading again
  const size_t before = c.data.size();
  std::string rest = big.substr(before) + "0123456789";
  f.feed(rest);
  ex->host->requestBody().pull(&f.loop.loop, c);
  f.loop.spin();
  CHECK(c.eof);
  CHECK(c.data == big + "0123456789");
  ex->response.status = 204;
  ex->host->resume();
  f.loop.spin();
  CHECK(f.transport.out.starts_with("HTTP/1.1 204"));
}

TEST_CASE("Expect: 100-continue: the 100 goes out on the first pull, and a read body keeps the connection") {
  Fixture f;
  Exchange* ex = nullptr;
  f.handler.onHandle = [&](Exchange& e) {
    ex = &e;
    return Outcome::Paused;
  };
  f.feed("PUT /u HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  REQUIRE(ex != nullptr);
  CHECK(f.transport.out.empty());  // not before the handler asks for the body (as Go)
  Collector c;
  ex->host->requestBody().pull(&f.loop.loop, c);
  CHECK(f.transport.out == "HTTP/1.1 100 Continue\r\n\r\n");
  f.feed("abc");
  f.loop.spin();
  CHECK(c.eof);
  CHECK(c.data == "abc");
  ex->response.status = 204;
  ex->host->resume();
  f.loop.spin();
  CHECK(f.transport.out.find("HTTP/1.1 204") != std::string::npos);
  CHECK(f.transport.out.find("Connection: close") == std::string::npos);
  CHECK_FALSE(f.transport.closed);
}

TEST_CASE("a body over maxBodyBytes fails the pull with E2BIG and the connection closes") {
  Fixture f;
  Exchange* ex = nullptr;
  f.handler.onHandle = [&](Exchange& e) {
    ex = &e;
    e.request.maxBodyBytes = 10;
    return Outcome::Paused;
  };
  SECTION("declared by Content-Length") {
    f.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello");
  }
  SECTION("chunked data past the limit") {
    f.feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello!\r\n6\r\nworld!\r\n");
  }
  REQUIRE(ex != nullptr);
  Collector c;
  ex->host->requestBody().pull(&f.loop.loop, c);
  f.loop.spin();
  CHECK(c.error == UV_E2BIG);
  ex->fail(413, {}, "");
  ex->host->resume();
  f.loop.spin();
  CHECK(f.transport.out.starts_with("HTTP/1.1 413"));
  CHECK(f.transport.out.find("Connection: close") != std::string::npos);
  CHECK(f.transport.closed);
}

namespace {
struct EchoPeer final : TunnelPeer {
  gatehouse::runtime::ExchangeHost* host = nullptr;
  std::string fromClient;
  int drained = 0;
  bool clientEof = false;
  bool clientClosed = false;
  void onClientData(std::string_view d) override { fromClient.append(d); }
  void onClientEof() override { clientEof = true; }
  void onClientDrained() override { ++drained; }
  void onClientClosed() override { clientClosed = true; }
};
}  // namespace

TEST_CASE("a 101 with a tunnel peer switches the connection to raw bytes both ways") {
  Fixture f;
  EchoPeer peer;
  Exchange* ex = nullptr;
  f.handler.onHandle = [&](Exchange& e) {
    ex = &e;
    CHECK(e.request.upgrade == "websocket");
    return Outcome::Paused;
  };
  f.feed("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\nearly");
  REQUIRE(ex != nullptr);
  ex->response.status = 101;
  ex->response.headers.add("Upgrade", "websocket");
  ex->response.tunnel = &peer;
  ex->host->resume();
  f.loop.spin();
  CHECK(f.transport.out.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  CHECK(f.transport.out.find("Connection: Upgrade\r\n") != std::string::npos);
  CHECK(peer.fromClient == "early");  // bytes behind the head go to the peer first
  CHECK(peer.drained >= 1);           // the peer may write once the head is out
  CHECK_FALSE(f.transport.reading);   // until the peer asks for more
  ex->host->tunnelResumeReading();
  CHECK(f.transport.reading);
  f.feed("more");
  CHECK(peer.fromClient == "earlymore");
  f.transport.out.clear();
  ex->host->tunnelWrite("from upstream");
  CHECK(f.transport.out == "from upstream");
  ex->host->tunnelResumeReading();
  f.session->onEof();
  CHECK(peer.clientEof);
  ex->host->tunnelShutdownWrite();
  CHECK(f.transport.writeShut);
  ex->host->tunnelClose();
  CHECK(f.transport.closed);
  CHECK(f.handler.finishedCount == 1);
}

TEST_CASE("the pending work is dropped when the client leaves or the session goes") {
  Fixture f;
  bool destroyed = false;
  f.handler.onHandle = [&](Exchange& e) {
    e.pending = std::make_unique<Flag>(&destroyed);
    return Outcome::Paused;
  };
  SECTION("client EOF while waiting") {
    f.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK_FALSE(destroyed);
    f.session->onEof();
    CHECK(destroyed);
    CHECK(f.transport.closed);
  }
  SECTION("session destroyed with the exchange in flight") {
    f.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    f.session.reset();
    CHECK(destroyed);
    CHECK(f.handler.finishedCount == 1);
  }
}

TEST_CASE("an unread body after the response is discarded up to 256 KiB, then the connection closes") {
  Fixture f;
  f.handler.onHandle = [](Exchange& e) { return e.respond(200, "ok"); };
  f.feed(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(f.transport.out.find("HTTP/1.1 200") != f.transport.out.rfind("HTTP/1.1 200"));
  CHECK_FALSE(f.transport.closed);
  Fixture g;
  g.handler.onHandle = [](Exchange& e) { return e.respond(200, "ok"); };
  g.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\nxx");
  CHECK(g.transport.out.find("Connection: close") != std::string::npos);
  CHECK(g.transport.closed);
}
