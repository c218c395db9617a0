#pragma once
// Shared by the upstream failure tests (upstream_connection_failure_test.cpp,
// fastcgi_stream_failure_test.cpp): a loopback peer the test drives by hand, and a listener
// on a real loop that records what the connection under test reports, with the request
// written from an idle callback as ProxyCall's body pull writes it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/upstream_address.h"
#include "proxy/upstream_connection.h"

namespace gatehouse::testing::upstream_failure {

// A listener on 127.0.0.1 (port 0) and the one connection it accepts; both closed at the end.
struct LoopbackPeer {
  int fd = -1;
  int conn = -1;
  int port = 0;
  LoopbackPeer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t l = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &l);
    port = ntohs(a.sin_port);
  }
  ~LoopbackPeer() {
    if (conn >= 0) {
      ::close(conn);
    }
    ::close(fd);
  }
  LoopbackPeer(const LoopbackPeer&) = delete;
  LoopbackPeer& operator=(const LoopbackPeer&) = delete;

  // Called once the proxy heard it connected: the handshake is done, so it does not block.
  void accept() { conn = ::accept(fd, nullptr, nullptr); }

  [[nodiscard]] proxy::UpstreamAddress address() const {
    std::string error;
    auto parsed = proxy::UpstreamAddress::parseResolved("127.0.0.1:" + std::to_string(port), error);
    REQUIRE(parsed);
    return *parsed;
  }
};

// The events, joined for a failure message.
inline std::string joined(const std::vector<std::string>& events) {
  std::string seen;
  for (const auto& e : events) {
    seen += e + "; ";
  }
  return seen;
}

// How many of the events are errors.
inline long errorCount(const std::vector<std::string>& events) {
  return std::count_if(events.begin(), events.end(),
                       [](const std::string& e) { return e.rfind("error", 0) == 0; });
}

// The events the connection reports ("connected" is the subclass's to record, in its
// onUpstreamConnected), on a loop that ends with the recorder: declare the connection under
// test after it, so that it is gone before the loop's last run (which must leave it empty).
class EventRecorder : public proxy::UpstreamConnection::Listener {
 public:
  std::vector<std::string> events;

  EventRecorder() {
    uv_loop_init(&loop_);
    uv_idle_init(&loop_, &idle_);
    idle_.data = this;
  }
  ~EventRecorder() override {
    uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop_) == 0);
  }
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  uv_loop_t* loop() { return &loop_; }
  uv_buf_t readBuffer() { return uv_buf_init(buffer_.data(), buffer_.size()); }

  // Runs `write` from an idle callback: the write completes there, and its callback waits
  // for the next iteration while that iteration's poll reads the peer's answer.
  void writeFromIdle(std::function<void()> write) {
    write_ = std::move(write);
    uv_idle_start(&idle_, [](uv_idle_t* h) {
      auto* self = static_cast<EventRecorder*>(h->data);
      uv_idle_stop(h);
      self->write_();
    });
  }

  // Bounded: the connection, the write, the peer's answer and the write's callback take a
  // few iterations; the owner would free the connection afterwards.
  void runBriefly() {
    for (int i = 0; i < 50; ++i) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(1000);
    }
  }

  void onUpstreamHead(proxy::ResponseHead& /*head*/) override { events.emplace_back("head"); }
  void onUpstreamBody(std::string_view /*data*/) override { events.emplace_back("body"); }
  void onUpstreamEnd() override { events.emplace_back("end"); }
  void onUpstreamWritten() override { events.emplace_back("written"); }
  void onUpstreamError(int uvError) override {
    events.push_back(std::string("error ") + uv_err_name(uvError));
  }
  void onUpstreamTunnelData(std::string_view /*data*/) override {}
  void onUpstreamTunnelEof() override {}

 private:
  uv_loop_t loop_{};
  uv_idle_t idle_{};
  std::vector<char> buffer_ = std::vector<char>(65536);
  std::function<void()> write_;
};

}  // namespace gatehouse::testing::upstream_failure
