#include "http/http2_session.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "http2_test_client.h"

using gatehouse::http::DateCache;
using gatehouse::http::Http2Limits;
using gatehouse::http::Http2Session;
using gatehouse::http::RequestHandler;
using gatehouse::runtime::BodySink;
using gatehouse::runtime::BodySource;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;
using gatehouse::runtime::PendingWork;
using gatehouse::testing::H2Client;
using gatehouse::testing::MemoryTransport;

namespace {

// Delivers `total` bytes of 'x' in pieces of `piece`, each on a later loop iteration (a
// zero timer), like a file read through the thread pool. Fails after `failAfter` pieces.
class TimerSource final : public BodySource {
 public:
  TimerSource(uv_loop_t* loop, size_t total, size_t piece, int failAfter = -1, int* pulls = nullptr)
      : timer_(std::make_unique<uv_timer_t>()),
        left_(total),
        piece_(piece),
        failAfter_(failAfter),
        pulls_(pulls) {
    uv_timer_init(loop, timer_.get());
    timer_->data = this;
  }
  ~TimerSource() override {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_.release()),
             [](uv_handle_t* h) { std::unique_ptr<uv_timer_t> owned(reinterpret_cast<uv_timer_t*>(h)); });
  }
  void pull(uv_loop_t* /*loop*/, BodySink& sink) override {
    if (pulls_ != nullptr) {
      ++*pulls_;
    }
    sink_ = &sink;
    uv_timer_start(timer_.get(), &TimerSource::onTimer, 0, 0);
  }

 private:
  static void onTimer(uv_timer_t* t) {
    auto* self = static_cast<TimerSource*>(t->data);
    if (self->failAfter_ == 0) {
      self->sink_->onBodyError(UV_EIO);
      return;
    }
    --self->failAfter_;
    const size_t n = std::min(self->left_, self->piece_);
    self->left_ -= n;
    const std::string data(n, 'x');
    self->sink_->onBodyData(data, self->left_ == 0);
  }
  std::unique_ptr<uv_timer_t> timer_;
  size_t left_;
  size_t piece_;
  int failAfter_;
  int* pulls_;
  BodySink* sink_ = nullptr;
};

// Reads the whole request body, then answers with its size. `hold` stops pulling until
// release(), to show that an unread body holds the client back.
class BodyReader final : public PendingWork, public BodySink {
 public:
  BodyReader(Exchange& ex, bool hold, bool* destroyed) : ex_(ex), hold_(hold), destroyed_(destroyed) {}
  ~BodyReader() override {
    if (destroyed_ != nullptr) {
      *destroyed_ = true;
    }
  }
  void start() {
    if (!hold_) {
      pull();
    }
  }
  void release() {
    hold_ = false;
    pull();
  }
  void onBodyData(std::string_view data, bool eof) override {
    received_ += data.size();
    if (eof) {
      ex_.response.status = 200;
      ex_.response.body = "got " + std::to_string(received_);
      ex_.host->resume();
      return;
    }
    if (!hold_) {
      pull();
    }
  }
  void onBodyError(int err) override {
    ex_.response.status = err == UV_E2BIG ? 413 : 400;
    ex_.host->resume();
  }

 private:
  void pull() { ex_.host->requestBody().pull(ex_.host->loop(), *this); }
  Exchange& ex_;
  bool hold_;
  bool* destroyed_;
  size_t received_ = 0;
};

// Echoes tunnel bytes back upper-cased.
class EchoPeer final : public gatehouse::runtime::TunnelPeer, public PendingWork {
 public:
  explicit EchoPeer(Exchange& ex) : ex_(ex) {}
  void onClientData(std::string_view data) override {
    std::string up(data);
    for (char& c : up) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    ex_.host->tunnelWrite(up);
    ex_.host->tunnelResumeReading();
  }
  void onClientEof() override { ex_.host->tunnelShutdownWrite(); }
  void onClientDrained() override { ++drained; }
  void onClientClosed() override { closed = true; }
  int drained = 0;
  bool closed = false;

 private:
  Exchange& ex_;
};

class TestHandler final : public RequestHandler {
 public:
  int finishedCount = 0;
  bool pendingDestroyed = false;
  BodyReader* heldReader = nullptr;
  Exchange* parked = nullptr;
  std::vector<Exchange*> allParked;
  int pulls = 0;

  Outcome handle(Exchange& ex) override {
    const std::string& path = ex.request.path;
    ex.response.headers.add("Server", "Gatehouse");
    ex.response.headers.add("Connection", "keep-alive");  // must not reach the wire
    if (path == "/hello") {
      return ex.respond(200, ex.request.method + " " + ex.request.uri() + " host=" + ex.request.host +
                                 " proto=" + std::to_string(ex.request.versionMajor) + "." +
                                 std::to_string(ex.request.versionMinor) +
                                 " cookie=" + std::string(ex.request.headers.get("Cookie")));
    }
    if (path == "/close") {
      ex.response.close = true;  // static_response's `close`
      return ex.respond(200, "bye");
    }
    if (path == "/empty") {
      return Outcome::Continue;
    }
    if (path == "/nocontent") {
      return ex.respond(204, "ignored");
    }
    if (path == "/stream" || path == "/broken") {
      ex.response.status = 200;
      ex.response.stream =
          std::make_unique<TimerSource>(ex.host->loop(), 300'000, 64'000, path == "/broken" ? 1 : -1);
      ex.response.streamLength = 300'000;
      return Outcome::Handled;
    }
    if (path == "/large") {
      ex.response.status = 200;
      ex.response.stream = std::make_unique<TimerSource>(ex.host->loop(), 600'000, 256 * 1024, -1, &pulls);
      ex.response.streamLength = 600'000;
      return Outcome::Handled;
    }
    if (path == "/upload" || path == "/hold") {
      auto reader = std::make_unique<BodyReader>(ex, path == "/hold", &pendingDestroyed);
      BodyReader* r = reader.get();
      ex.pending = std::move(reader);
      if (path == "/hold") {
        heldReader = r;
      }
      r->start();
      return Outcome::Paused;
    }
    if (path == "/park") {
      ex.pending = std::make_unique<BodyReader>(ex, true, &pendingDestroyed);
      parked = &ex;
      allParked.push_back(&ex);
      return Outcome::Paused;
    }
    if (path == "/ws") {
      auto peer = std::make_unique<EchoPeer>(ex);
      ex.response.status = 200;
      ex.response.tunnel = peer.get();
      ex.pending = std::move(peer);
      return Outcome::Handled;
    }
    return ex.respond(404, "not found");
  }
  Outcome resumed(Exchange& /*ex*/) override { return Outcome::Handled; }
  void finished(const Exchange& /*ex*/) override { ++finishedCount; }
};

struct Fixture {
  uv_loop_t loop{};
  std::unique_ptr<MemoryTransport> transport;
  TestHandler handler;
  DateCache dates;
  std::unique_ptr<Http2Session> session;
  H2Client client;

  explicit Fixture(Http2Limits limits = {}, uint32_t clientWindow = 65535) : client(clientWindow) {
    uv_loop_init(&loop);
    transport = std::make_unique<MemoryTransport>(&loop);
    session = std::make_unique<Http2Session>(*transport, handler, dates, limits);
  }
  ~Fixture() {
    session.reset();
    for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; ++i) {
    }
    uv_loop_close(&loop);
  }
  // Moves bytes both ways and runs deferred work until nothing moves (bounded).
  void exchange(int rounds = 200) {
    for (int i = 0; i < rounds; ++i) {
      std::string up = client.takeOutput();
      if (!up.empty() && !transport->closed) {
        session->onData(up.data(), up.size());
      }
      std::string down = std::move(transport->out);
      transport->out.clear();
      if (!down.empty()) {
        client.feed(down);
      }
      const int active = uv_run(&loop, UV_RUN_NOWAIT);
      if (up.empty() && down.empty() && active == 0 && transport->out.empty()) {
        return;
      }
    }
  }
  gatehouse::testing::ClientStream& stream(int32_t id) { return client.streams[id]; }
};

}  // namespace

TEST_CASE("h2: concurrent GETs map to the same exchange as HTTP/1.1") {
  Fixture f;
  const int32_t a = f.client.request("GET", "/hello?x=1", {{"cookie", "a=1"}, {"cookie", "b=2"}});
  const int32_t b = f.client.request("GET", "/hello");
  const int32_t c = f.client.request("GET", "/missing");
  f.exchange();
  CHECK(f.stream(a).headers[":status"] == "200");
  CHECK(f.stream(a).body == "GET /hello?x=1 host=h2.test proto=2.0 cookie=a=1; b=2");
  CHECK(f.stream(a).headers["content-length"] == std::to_string(f.stream(a).body.size()));
  CHECK(f.stream(a).headers["server"] == "Gatehouse");
  CHECK(f.stream(a).headers.count("date") == 1);
  CHECK(f.stream(a).headers.count("connection") == 0);
  CHECK(f.stream(b).body == "GET /hello host=h2.test proto=2.0 cookie=");
  CHECK(f.stream(c).headers[":status"] == "404");
  CHECK(f.stream(c).closed);
  CHECK(f.handler.finishedCount == 3);
  CHECK(f.session->idle());
  CHECK(f.transport->phase == MemoryTransport::Phase::Idle);
  CHECK_FALSE(f.transport->closed);
}

TEST_CASE("h2: HEAD keeps the length without a body; 204 and an empty 200 end with the head") {
  Fixture f;
  const int32_t head = f.client.request("HEAD", "/hello");
  const int32_t none = f.client.request("GET", "/nocontent");
  const int32_t empty = f.client.request("GET", "/empty");
  f.exchange();
  CHECK(f.stream(head).headers[":status"] == "200");
  CHECK(f.stream(head).headers["content-length"] == "42");
  CHECK(f.stream(head).body.empty());
  CHECK(f.stream(head).headersEndedStream);
  CHECK(f.stream(none).headers[":status"] == "204");
  CHECK(f.stream(none).headers.count("content-length") == 0);
  CHECK(f.stream(none).body.empty());
  CHECK(f.stream(none).headersEndedStream);
  CHECK(f.stream(empty).headers[":status"] == "200");
  CHECK(f.stream(empty).headers["content-length"] == "0");
  CHECK(f.stream(empty).headersEndedStream);
}

TEST_CASE("h2: a deferred streamed body goes out as the source delivers") {
  Fixture f;
  const int32_t id = f.client.request("GET", "/stream");
  f.exchange(2000);
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.stream(id).headers["content-length"] == "300000");
  CHECK(f.stream(id).body == std::string(300'000, 'x'));
  CHECK(f.stream(id).closed);
  CHECK(f.stream(id).errorCode == 0);
}

TEST_CASE("h2: a failing body source resets the stream with INTERNAL_ERROR") {
  Fixture f;
  const int32_t id = f.client.request("GET", "/broken");
  const int32_t ok = f.client.request("GET", "/hello");
  f.exchange(2000);
  CHECK(f.stream(id).closed);
  CHECK(f.stream(id).gotRst);
  CHECK(f.stream(id).errorCode == NGHTTP2_INTERNAL_ERROR);
  CHECK(f.stream(ok).headers[":status"] == "200");  // the connection lives on
  CHECK_FALSE(f.transport->closed);
}

TEST_CASE("h2: request bodies are pulled through flow control") {
  Fixture f;
  const std::string big(3 * 1024 * 1024 + 5, 'b');
  const int32_t id = f.client.request("POST", "/upload", {}, &big);
  f.exchange(5000);
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.stream(id).body == "got " + std::to_string(big.size()));
}

TEST_CASE("h2: an unread body holds the client back at the stream window") {
  Fixture f;
  const std::string big(3 * 1024 * 1024, 'b');
  const int32_t id = f.client.request("POST", "/hold", {}, &big);
  f.exchange(5000);
  // The client may send no more than the 1 MiB window until the handler reads.
  CHECK(nghttp2_session_get_stream_remote_window_size(f.client.session(), id) == 0);
  CHECK_FALSE(f.stream(id).closed);
  REQUIRE(f.handler.heldReader != nullptr);
  f.handler.heldReader->release();
  f.exchange(5000);
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.stream(id).body == "got " + std::to_string(big.size()));
}

TEST_CASE("h2: a client RST_STREAM drops the paused exchange and its pending work") {
  Fixture f;
  const int32_t id = f.client.request("GET", "/park");
  f.exchange();
  REQUIRE(f.handler.parked != nullptr);
  CHECK_FALSE(f.handler.pendingDestroyed);
  CHECK_FALSE(f.session->idle());
  f.client.reset(id, NGHTTP2_CANCEL);
  f.exchange();
  CHECK(f.handler.pendingDestroyed);
  CHECK(f.handler.finishedCount == 1);
  CHECK(f.session->idle());
}

TEST_CASE("h2: streams close in any order while an older one stays open") {
  Fixture f;
  const int32_t parked = f.client.request("GET", "/park");
  f.exchange();
  REQUIRE(f.handler.parked != nullptr);
  const int32_t a = f.client.request("GET", "/hello");
  const int32_t b = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(a).headers[":status"] == "200");
  CHECK(f.stream(b).headers[":status"] == "200");
  CHECK_FALSE(f.session->idle());
  const int32_t c = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(c).headers[":status"] == "200");
  f.handler.parked->response.status = 200;
  f.handler.parked->response.body = "late";
  f.handler.parked->host->resume();
  f.exchange();
  CHECK(f.stream(parked).body == "late");
  CHECK(f.session->idle());
  f.session->trim();  // an idle session gives its stream slots back
  const int32_t d = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(d).headers[":status"] == "200");
}

TEST_CASE("h2: shutdown sends GOAWAY and lets the stream in flight finish") {
  Fixture f;
  const int32_t id = f.client.request("GET", "/park");
  f.exchange();
  REQUIRE(f.handler.parked != nullptr);
  f.session->shutdown();
  f.exchange();
  CHECK(f.client.gotGoaway);
  CHECK(f.client.goawayLastStream == id);
  CHECK(f.client.goawayError == NGHTTP2_NO_ERROR);
  CHECK_FALSE(f.transport->closed);
  f.handler.parked->response.status = 200;
  f.handler.parked->response.body = "late";
  f.handler.parked->host->resume();
  f.exchange();
  CHECK(f.stream(id).body == "late");
  CHECK(f.transport->closed);
}

TEST_CASE("h2: a stream the client opened before it saw the stop's GOAWAY notice is served") {
  Fixture f;
  f.exchange();  // SETTINGS both ways
  f.session->shutdown();
  // Sent before the client reads the notice: the final GOAWAY must not refuse it.
  const int32_t id = f.client.request("GET", "/hello");
  f.exchange(1);  // the request up; the notice, its PING and the response down
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.client.goawayLastStream == 0x7fffffff);  // the notice
  CHECK_FALSE(f.transport->closed);
  // The client's PING ACK brings the final GOAWAY, naming the stream it sent.
  const std::string ack = f.client.takeOutput();
  REQUIRE_FALSE(ack.empty());
  f.session->onData(ack.data(), ack.size());
  const std::string down = std::move(f.transport->out);
  REQUIRE(down.size() >= 17);
  CHECK(int(down[3]) == NGHTTP2_GOAWAY);
  const uint32_t last = (uint32_t(uint8_t(down[9])) << 24 | uint32_t(uint8_t(down[10])) << 16 |
                         uint32_t(uint8_t(down[11])) << 8 | uint8_t(down[12])) & 0x7fffffff;
  CHECK(last == uint32_t(id));
  CHECK(f.transport->closed);
}

TEST_CASE("h2: an invalid field value resets the stream with PROTOCOL_ERROR") {
  Fixture f;
  const int32_t bad = f.client.request("GET", "/hello", {{"x-bad", std::string("a\x01z")}});
  f.exchange();
  CHECK(f.stream(bad).gotRst);
  CHECK(f.stream(bad).errorCode == NGHTTP2_PROTOCOL_ERROR);
  CHECK(f.handler.finishedCount == 0);
}

TEST_CASE("h2: a control byte in :path resets the stream") {
  Fixture f;
  const int32_t bad = f.client.request("GET", std::string("/a\x7f"));
  f.exchange();
  CHECK(f.stream(bad).gotRst);
  CHECK(f.stream(bad).errorCode == NGHTTP2_PROTOCOL_ERROR);
  CHECK(f.handler.finishedCount == 0);
}

TEST_CASE("h2: a header list over max_header_bytes gets 431") {
  Http2Limits limits;
  limits.maxHeaderBytes = 1024;
  Fixture f(limits);
  const int32_t id = f.client.request("GET", "/hello", {{"x-big", std::string(2000, 'v')}});
  f.exchange();
  CHECK(f.stream(id).headers[":status"] == "431");
}

TEST_CASE("h2: extended CONNECT becomes a tunnel both ways") {
  Fixture f;
  f.exchange();  // SETTINGS with ENABLE_CONNECT_PROTOCOL reach the client
  const int32_t id = f.client.request("CONNECT", "/ws", {{":protocol", "websocket"}}, nullptr, false);
  f.exchange();
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.stream(id).headers.count("content-length") == 0);
  f.client.sendData(id, "hello tunnel", false);
  f.exchange();
  CHECK(f.stream(id).body == "HELLO TUNNEL");
  f.client.sendData(id, " bye", true);
  f.exchange();
  CHECK(f.stream(id).body == "HELLO TUNNEL BYE");
  CHECK(f.stream(id).closed);
  CHECK(f.stream(id).errorCode == 0);
}

TEST_CASE("h2: a client that is not HTTP/2 gets the connection closed") {
  Fixture f;
  const std::string junk = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  f.session->onData(junk.data(), junk.size());
  CHECK(f.transport->closed);
}

TEST_CASE("h2: output stops while the transport holds unsent bytes") {
  Fixture f;
  f.transport->isDrained = false;
  const int32_t id = f.client.request("GET", "/stream");
  f.exchange(2000);
  // One batch went out, then nothing more was produced and reading stopped.
  CHECK(f.stream(id).body.size() < 100'000);
  CHECK_FALSE(f.transport->reading);
  CHECK_FALSE(f.stream(id).closed);
  f.transport->isDrained = true;
  for (int i = 0; i < 100 && !f.stream(id).closed; ++i) {
    f.session->onDrained();
    f.exchange(2000);
  }
  CHECK(f.transport->reading);
  CHECK(f.stream(id).body == std::string(300'000, 'x'));
}

TEST_CASE("h2: unread request bodies are stopped and give their connection credit back") {
  Fixture f;
  // Four parked handlers that never read: their bodies fill the whole 4 MiB connection
  // window (1 MiB stream window each) before they answer.
  const std::string big(2 * 1024 * 1024, 'u');
  std::vector<int32_t> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(f.client.request("POST", "/park", {}, &big));
  }
  f.exchange(5000);
  CHECK(nghttp2_session_get_remote_window_size(f.client.session()) == 0);
  REQUIRE(f.handler.allParked.size() == 4);
  for (Exchange* ex : f.handler.allParked) {
    ex->response.status = 200;
    ex->response.body = "done";
    ex->host->resume();
  }
  f.exchange(5000);
  for (int32_t id : ids) {
    CHECK(f.stream(id).body == "done");
    CHECK(f.stream(id).gotRst);
    CHECK(f.stream(id).errorCode == NGHTTP2_NO_ERROR);
  }
  // Had the unread bytes kept their share of the connection window, this would stall.
  const std::string body(3 * 1024 * 1024, 'v');
  const int32_t up = f.client.request("POST", "/upload", {}, &body);
  f.exchange(5000);
  CHECK(f.stream(up).body == "got " + std::to_string(body.size()));
}

TEST_CASE("h2: request_body max_size ends the pull with E2BIG") {
  Fixture f;
  // /upload answers 413 on UV_E2BIG; the limit is what a request_body handler would set.
  struct Limit final : RequestHandler {
    RequestHandler& inner;
    explicit Limit(RequestHandler& h) : inner(h) {}
    Outcome handle(Exchange& ex) override {
      ex.request.maxBodyBytes = 1000;
      return inner.handle(ex);
    }
    Outcome resumed(Exchange& ex) override { return inner.resumed(ex); }
  } limit(f.handler);
  Http2Session session(*f.transport, limit, f.dates, Http2Limits{});
  H2Client client;
  const std::string body(5000, 'z');
  const int32_t id = client.request("POST", "/upload", {}, &body);
  for (int i = 0; i < 200; ++i) {
    std::string up = client.takeOutput();
    if (!up.empty()) {
      session.onData(up.data(), up.size());
    }
    std::string down = std::exchange(f.transport->out, {});
    client.feed(down);
    const int active = uv_run(&f.loop, UV_RUN_NOWAIT);
    if (up.empty() && down.empty() && active == 0) {
      break;
    }
  }
  CHECK(client.streams[id].headers[":status"] == "413");
}

TEST_CASE("h2: Expect: 100-continue gets its 100 once the handler reads") {
  Fixture f;
  const int32_t reads = f.client.request("POST", "/upload", {{"expect", "100-continue"}}, nullptr, false);
  const int32_t ignores = f.client.request("POST", "/hello", {{"expect", "100-continue"}}, nullptr, false);
  f.exchange();
  CHECK(f.stream(reads).statuses == std::vector<std::string>{"100"});
  f.client.sendData(reads, "abc", true);
  f.exchange();
  CHECK(f.stream(reads).statuses == std::vector<std::string>{"100", "200"});
  CHECK(f.stream(reads).body == "got 3");
  CHECK(f.stream(ignores).statuses == std::vector<std::string>{"200"});
}

TEST_CASE("h2: the client's EOF cuts a body short; the answer still goes out, then the close") {
  Fixture f;
  const int32_t id = f.client.request("POST", "/upload", {}, nullptr, false);
  f.client.sendData(id, "partial", false);
  f.exchange();
  CHECK_FALSE(f.stream(id).closed);
  f.session->onEof();
  f.exchange();
  CHECK(f.stream(id).headers[":status"] == "400");  // BodyReader's answer to UV_EPROTO
  CHECK(f.stream(id).gotRst);
  CHECK(f.session->idle());
  CHECK(f.transport->closed);
}

TEST_CASE("h2: response bodies the client does not take hold a bounded amount of memory") {
  Fixture f({}, 1);  // the client grants one byte per stream
  std::vector<int32_t> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(f.client.request("GET", "/large"));
  }
  f.exchange(300);
  // 20 streams want 256 KiB pieces; about 2 MiB worth may be buffered or in flight.
  CHECK(f.handler.pulls > 0);
  CHECK(f.handler.pulls <= 9);
  for (int32_t id : ids) {
    nghttp2_session_set_local_window_size(f.client.session(), NGHTTP2_FLAG_NONE, id, 1 << 20);
  }
  f.exchange(5000);
  for (int32_t id : ids) {
    CHECK(f.stream(id).body.size() == 600'000);
  }
}

TEST_CASE("h2: a response that asks to close the connection sends a graceful GOAWAY") {
  Fixture f;
  const int32_t parked = f.client.request("GET", "/park");
  const int32_t id = f.client.request("GET", "/close");
  f.exchange();
  CHECK(f.stream(id).body == "bye");
  CHECK(f.client.gotGoaway);
  CHECK(f.client.goawayError == NGHTTP2_NO_ERROR);
  CHECK_FALSE(f.transport->closed);  // the parked stream still gets its answer
  f.handler.parked->response.status = 200;
  f.handler.parked->host->resume();
  f.exchange();
  CHECK(f.stream(parked).headers[":status"] == "200");
  CHECK(f.transport->closed);
}
