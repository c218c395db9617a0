// The head of a streamed body without a Content-Type waits for the first 512 body bytes (or
// the body's end) before the type is sniffed, as Go's response buffer fills from as many
// writes as it takes: a short or empty first piece decides nothing.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "http/http1_session.h"

using gatehouse::http::DateCache;
using gatehouse::http::Http1Session;
using gatehouse::http::RequestHandler;
using gatehouse::http::SessionLimits;
using gatehouse::http::Transport;
using gatehouse::runtime::BodySink;
using gatehouse::runtime::BodySource;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;

namespace {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);  // let closing handles finish
    uv_loop_close(&loop);
  }
};

class MemoryTransport final : public Transport {
 public:
  explicit MemoryTransport(uv_loop_t* loop) : loop_(loop) {}
  std::string out;
  void write(std::string& bytes) override {
    out += bytes;
    bytes.clear();
  }
  void close(bool /*abort*/) override {}
  void pauseReading() override {}
  void resumeReading() override {}
  void setPhase(Phase /*p*/) override {}
  [[nodiscard]] bool drained() const override { return true; }
  uv_loop_t* loop() override { return loop_; }
  void shutdownWrite() override {}
  gatehouse::runtime::WorkerState& worker() override { return state; }
  gatehouse::runtime::WorkerState state{nullptr};

 private:
  uv_loop_t* loop_;
};

// Hands out its pieces one per give(), to the pull waiting for them (never inside pull()).
class PieceSource final : public BodySource {
 public:
  explicit PieceSource(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
  void pull(uv_loop_t* /*loop*/, BodySink& sink) override { sink_ = &sink; }
  bool give() {
    BodySink* sink = std::exchange(sink_, nullptr);
    if (sink == nullptr || next_ == pieces_.size()) {
      return false;
    }
    const bool last = next_ + 1 == pieces_.size();
    sink->onBodyData(pieces_[next_++], last);
    return true;
  }

 private:
  std::vector<std::string> pieces_;
  size_t next_ = 0;
  BodySink* sink_ = nullptr;
};

class StreamHandler final : public RequestHandler {
 public:
  std::vector<std::string> pieces;
  std::string type;  // a Content-Type the handler sets ("" none)
  PieceSource* source = nullptr;
  Outcome handle(Exchange& ex) override {
    size_t length = 0;
    for (const auto& p : pieces) {
      length += p.size();
    }
    if (!type.empty()) {
      ex.response.headers.add("Content-Type", type);
    }
    auto s = std::make_unique<PieceSource>(pieces);
    source = s.get();
    ex.response.status = 200;
    ex.response.stream = std::move(s);
    ex.response.streamLength = length;
    return Outcome::Handled;
  }
  Outcome resumed(Exchange& /*ex*/) override { return Outcome::Handled; }
};

struct Fixture {
  Loop loop;
  MemoryTransport transport{&loop.loop};
  StreamHandler handler;
  DateCache dates;
  Http1Session session{transport, handler, dates, SessionLimits{1024}};
  // Sends a GET and hands out every piece; returns how many had gone when the head went.
  size_t run(std::vector<std::string> pieces, std::string type = {}) {
    handler.pieces = std::move(pieces);
    handler.type = std::move(type);
    const std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    session.onData(req.data(), req.size());
    size_t headAfter = 0;
    for (size_t i = 0; i < handler.pieces.size(); ++i) {
      REQUIRE(handler.source != nullptr);
      REQUIRE(handler.source->give());
      uv_run(&loop.loop, UV_RUN_NOWAIT);  // the session's deferred work, as a real turn
      if (headAfter == 0 && !transport.out.empty()) {
        headAfter = i + 1;
      }
    }
    return headAfter;
  }
};

}  // namespace

TEST_CASE("the sniff of a streamed body waits for 512 bytes or the end") {
  Fixture f;
  SECTION("a 3-byte first piece: the type comes from both pieces") {
    CHECK(f.run({"<ht", "ml><b>x</b>"}) == 2);
    CHECK(f.transport.out.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
  }
  SECTION("an empty first piece decides nothing") {
    f.run({"", "<ht", "ml><b>x</b>"});
    CHECK(f.transport.out.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
  }
  SECTION("a binary byte at 400, after a 300-byte text piece") {
    f.run({std::string(300, 'a'), std::string(100, 'b') + '\x01' + std::string(199, 'c')});
    CHECK(f.transport.out.find("Content-Type: application/octet-stream\r\n") != std::string::npos);
  }
  SECTION("a binary byte past 512 is not looked at") {
    f.run({std::string(300, 'a'), std::string(220, 'b') + '\x01' + std::string(79, 'c')});
    CHECK(f.transport.out.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  }
  SECTION("512 bytes in the first piece: the head goes with it") {
    CHECK(f.run({std::string(512, 'a'), "<html>"}) == 1);
  }
  SECTION("a typed body is not held") {
    CHECK(f.run({"<ht", "ml>"}, "text/x-mine") == 1);
    CHECK(f.transport.out.find("Content-Type: text/x-mine\r\n") != std::string::npos);
  }
  // Every byte arrives once, in order, after the head.
  const std::string& out = f.transport.out;
  std::string body;
  for (const auto& p : f.handler.pieces) {
    body += p;
  }
  CHECK(out.substr(out.find("\r\n\r\n") + 4) == body);
  CHECK(out.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
}
