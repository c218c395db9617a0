#pragma once
// Shared by the Http2Session unit tests (http2_session_*_test.cpp): body sources and readers
// that play handlers, a handler routing test paths to them, and a fixture that pumps bytes
// between a real nghttp2 client and the session under test (bounded in rounds).

#include <uv.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http2_session.h"
#include "http/tunnel_recording.h"
#include "http2_test_client.h"

namespace gatehouse::testing::h2session {

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
    if (data == "break") {  // as a proxy whose upstream reset: the tunnel ends as broken
      ex_.response.abort = true;
      ex_.host->tunnelClose();
      return;
    }
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

// A relay session as a proxy's TunnelRelay is one, on the Transport a handed-over tunnel
// gets (an H2TunnelLink): echoes upper-cased; "big:N" answers N bytes; "break" ends as a
// broken upstream would, "bye" as a stream_timeout. Records its exchange when destroyed.
class TestRelay final : public gatehouse::http::Session, public gatehouse::http::TunnelRecording {
 public:
  TestRelay(gatehouse::http::Transport& client, int& destroyed) : client_(client), destroyed_(destroyed) {}
  ~TestRelay() override {
    ++destroyed_;
    if (recorder_ != nullptr) {
      Exchange ex;
      ex.response.status = status_;
      ex.response.bytesWritten = written_ + (sent_ != nullptr ? *sent_ : 0);
      recorder_->finished(ex);
    }
  }
  TestRelay(const TestRelay&) = delete;
  TestRelay& operator=(const TestRelay&) = delete;
  void onData(const char* data, size_t len) override {
    std::string s(data, len);
    if (s == "break" || s == "bye") {
      client_.close(s == "break");
      return;
    }
    if (s.starts_with("big:")) {
      std::string big(std::stoul(s.substr(4)), 'z');
      client_.write(big);
      return;
    }
    for (char& c : s) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    client_.write(s);
  }
  void onEof() override { client_.shutdownWrite(); }
  void onDrained() override {}
  void shutdown() override {}
  [[nodiscard]] bool idle() const override { return false; }
  void setPeer(const gatehouse::http::PeerInfo& /*peer*/) override {}
  void forEachExchange(const std::function<void(Exchange&)>& /*fn*/) override {}
  void recordWith(RequestHandler& recorder, const Exchange& ex) override {
    recorder_ = &recorder;
    status_ = ex.response.status;
    written_ = ex.response.bytesWritten;
  }
  void recordAtEnd(const uint64_t& sent) override { sent_ = &sent; }

 private:
  gatehouse::http::Transport& client_;
  int& destroyed_;
  RequestHandler* recorder_ = nullptr;
  const uint64_t* sent_ = nullptr;
  uint64_t written_ = 0;
  int status_ = 0;
};

// A tunnel peer that hands its tunnel over to a TestRelay once it starts (as ProxyCall).
class RelayPeer final : public gatehouse::runtime::TunnelPeer, public PendingWork {
 public:
  RelayPeer(Exchange& ex, int& relaysDestroyed, int& peersDestroyed)
      : ex_(ex), relaysDestroyed_(relaysDestroyed), peersDestroyed_(peersDestroyed) {}
  ~RelayPeer() override { ++peersDestroyed_; }
  RelayPeer(const RelayPeer&) = delete;
  RelayPeer& operator=(const RelayPeer&) = delete;
  void onClientData(std::string_view /*data*/) override {}
  void onClientEof() override {}
  void onClientDrained() override {
    if (!handed) {
      handed = ex_.host->handOverTunnel(
          [this](gatehouse::http::Transport& t) { return std::make_unique<TestRelay>(t, relaysDestroyed_); });
    }
  }
  void onClientClosed() override {}
  bool handed = false;

 private:
  Exchange& ex_;
  int& relaysDestroyed_;
  int& peersDestroyed_;
};

class TestHandler final : public RequestHandler {
 public:
  int finishedCount = 0;
  uint64_t lastBytesWritten = 0;
  int relaysDestroyed = 0;
  int relayPeersDestroyed = 0;
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
    if (path == "/large" || path == "/large-untyped") {
      ex.response.status = 200;
      ex.response.stream = std::make_unique<TimerSource>(ex.host->loop(), 600'000, 256 * 1024, -1, &pulls);
      ex.response.streamLength = 600'000;
      if (path == "/large") {
        ex.response.headers.set("Content-Type", "application/octet-stream");
      }
      return Outcome::Handled;  // untyped: its head waits for the first piece (sniffing)
    }
    if (path == "/short") {  // announces more than the source gives
      ex.response.status = 200;
      ex.response.headers.set("Content-Type", "text/plain");
      ex.response.stream = std::make_unique<TimerSource>(ex.host->loop(), 1000, 400);
      ex.response.streamLength = 2000;
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
    if (path == "/relay") {
      ex.response.status = 200;
      auto peer = std::make_unique<RelayPeer>(ex, relaysDestroyed, relayPeersDestroyed);
      ex.response.tunnel = peer.get();
      ex.pending = std::move(peer);
      return Outcome::Handled;
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
  void finished(const Exchange& ex) override {
    ++finishedCount;
    lastBytesWritten = ex.response.bytesWritten;
  }
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

}  // namespace gatehouse::testing::h2session
