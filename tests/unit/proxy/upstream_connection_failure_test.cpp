// UpstreamConnection after a failure, on a real loop against a loopback peer: a write that
// completed just before the read saw the peer's hang-up must not report "written" (or a
// second error) once the failure was reported. Its owner may already be on the next
// attempt: a late onUpstreamWritten pulled a held request body into nowhere, and the retry
// then sent a Content-Length with no body behind it (e2e_proxy_retry_hangup_test).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/upstream_address.h"
#include "proxy/upstream_connection.h"

using gatehouse::proxy::ResponseHead;
using gatehouse::proxy::UpstreamAddress;
using gatehouse::proxy::UpstreamConnection;

namespace {

// A loopback listener whose accepted side sends FIN at once but stays open (no RST: the
// proxy's writes keep succeeding, as they do against a server that half-closed).
struct HalfClosingPeer {
  int fd = -1;
  int conn = -1;
  int port = 0;
  HalfClosingPeer() {
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
  void acceptAndHangUp() {
    conn = ::accept(fd, nullptr, nullptr);  // the handshake is done: it does not block
    ::shutdown(conn, SHUT_WR);
  }
  ~HalfClosingPeer() {
    if (conn >= 0) {
      ::close(conn);
    }
    ::close(fd);
  }
};

// Writes its bytes from an idle callback, as ProxyCall's body pull does: the write
// completes there, and its callback waits for the next iteration while this iteration's
// poll reads the peer's FIN.
struct Recorder final : UpstreamConnection::Listener {
  UpstreamConnection* conn = nullptr;
  HalfClosingPeer* peer = nullptr;
  uv_idle_t idle{};
  std::vector<std::string> events;

  void onUpstreamConnected() override {
    events.emplace_back("connected");
    peer->acceptAndHangUp();
    conn->expectResponse(false);
    idle.data = this;
    uv_idle_start(&idle, [](uv_idle_t* h) {
      auto* self = static_cast<Recorder*>(h->data);
      uv_idle_stop(h);
      self->conn->write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody");
    });
  }
  void onUpstreamHead(ResponseHead& /*head*/) override { events.emplace_back("head"); }
  void onUpstreamBody(std::string_view /*data*/) override { events.emplace_back("body"); }
  void onUpstreamEnd() override { events.emplace_back("end"); }
  void onUpstreamWritten() override { events.emplace_back("written"); }
  void onUpstreamError(int uvError) override {
    events.push_back(std::string("error ") + uv_err_name(uvError));
  }
  void onUpstreamTunnelData(std::string_view /*data*/) override {}
  void onUpstreamTunnelEof() override {}
};

}  // namespace

TEST_CASE("a failed upstream connection reports nothing after its failure", "[proxy][upstream]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  HalfClosingPeer peer;
  std::string error;
  auto address = UpstreamAddress::parseResolved("127.0.0.1:" + std::to_string(peer.port), error);
  REQUIRE(address);
  std::vector<char> buffer(65536);
  Recorder rec;
  uv_idle_init(&loop, &rec.idle);
  {
    UpstreamConnection conn(&loop, *address, 0, uv_buf_init(buffer.data(), buffer.size()), 65536);
    rec.conn = &conn;
    rec.peer = &peer;
    REQUIRE(conn.connect(rec, *address) == 0);
    // Bounded: the connection, the write, the FIN and the write's callback take a few
    // iterations; the owner would free it (here: the scope's end) afterwards.
    for (int i = 0; i < 50; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    CHECK(conn.dead());
  }
  std::string seen;
  for (const auto& e : rec.events) {
    seen += e + "; ";
  }
  INFO("events: " << seen);
  REQUIRE(rec.events.size() >= 2);
  CHECK(rec.events[0] == "connected");
  CHECK(rec.events.back() == "error EOF");
  const auto errors = std::count_if(rec.events.begin(), rec.events.end(),
                                    [](const std::string& e) { return e.rfind("error", 0) == 0; });
  CHECK(errors == 1);
  uv_close(reinterpret_cast<uv_handle_t*>(&rec.idle), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
