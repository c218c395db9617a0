// FastCgiStream after a failure of its own (a bad record here; a read_timeout or
// write_timeout deadline the same way), on a real loop against a loopback peer: its
// connection stays open, so a write that completed just before the bad record was read
// still calls back. The owner heard the failure and may be on its next attempt already: a
// late "written" pulled that attempt's body before its connection was even up (the same
// bug UpstreamConnection had, upstream_connection_failure_test.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/fastcgi_stream.h"
#include "proxy/fastcgi_transport.h"
#include "proxy/upstream_address.h"

using gatehouse::proxy::FastCgiStream;
using gatehouse::proxy::FastCgiTransport;
using gatehouse::proxy::ResponseHead;
using gatehouse::proxy::UpstreamAddress;
using gatehouse::proxy::UpstreamConnection;

namespace {

// A loopback listener whose accepted side answers with a record header of an unknown
// version at once and reads nothing (the proxy's small writes still complete).
// Or, with acceptAndReset, one that resets the connection at once.
struct BadRecordPeer {
  int fd = -1;
  int conn = -1;
  int port = 0;
  BadRecordPeer() {
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
  // Accepts and resets the connection (SO_LINGER 0): the proxy's next write takes the
  // ECONNRESET, and its read then sees a plain EOF.
  void acceptAndReset() {
    conn = ::accept(fd, nullptr, nullptr);
    const linger l{1, 0};
    ::setsockopt(conn, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(conn);
    conn = -1;
  }
  void acceptAndAnswerGarbage() {
    conn = ::accept(fd, nullptr, nullptr);                     // the handshake is done: it does not block
    const unsigned char header[8] = {9, 6, 0, 1, 0, 0, 0, 0};  // version 9: not FastCGI 1
    REQUIRE(::send(conn, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header));
  }
  ~BadRecordPeer() {
    if (conn >= 0) {
      ::close(conn);
    }
    ::close(fd);
  }
};

// Sends the request head from an idle callback, as ProxyCall's body pull writes: the write
// completes there and its callback waits for the next iteration, while this iteration's
// poll reads the bad record.
struct Owner final : UpstreamConnection::Listener {
  FastCgiStream* stream = nullptr;
  BadRecordPeer* peer = nullptr;
  uv_idle_t idle{};
  std::vector<std::string> events;

  bool reset = false;  // the peer resets instead of answering garbage

  void onUpstreamConnected() override {
    events.emplace_back("connected");
    reset ? peer->acceptAndReset() : peer->acceptAndAnswerGarbage();
    idle.data = this;
    uv_idle_start(&idle, [](uv_idle_t* h) {
      auto* self = static_cast<Owner*>(h->data);
      uv_idle_stop(h);
      self->stream->sendHead(std::string(200, 'p'), true);  // a body follows: STDIN stays open
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

// Runs one stream against `peer` until it is over; returns the owner's events.
std::vector<std::string> runStream(BadRecordPeer& peer, bool reset, std::string& failure) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::string error;
  auto address = UpstreamAddress::parseResolved("127.0.0.1:" + std::to_string(peer.port), error);
  REQUIRE(address);
  std::vector<char> buffer(65536);
  FastCgiTransport transport;
  Owner owner;
  owner.reset = reset;
  uv_idle_init(&loop, &owner.idle);
  {
    FastCgiStream stream(&loop, *address, uv_buf_init(buffer.data(), buffer.size()), 65536, transport, owner);
    owner.stream = &stream;
    owner.peer = &peer;
    REQUIRE(stream.connect(*address, {}) == 0);
    // Bounded: the connection, the write, the bad record and the write's callback take a
    // few iterations; the owner would free the stream (here: the scope's end) afterwards.
    for (int i = 0; i < 50; ++i) {
      uv_run(&loop, UV_RUN_NOWAIT);
      usleep(1000);
    }
    failure = stream.failure();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&owner.idle), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  return owner.events;
}

std::string joined(const std::vector<std::string>& events) {
  std::string seen;
  for (const auto& e : events) {
    seen += e + "; ";
  }
  return seen;
}

}  // namespace

TEST_CASE("a failed FastCGI stream reports nothing after its failure", "[proxy][fastcgi]") {
  BadRecordPeer peer;
  std::string failure;
  const auto events = runStream(peer, false, failure);
  CHECK(failure == "fcgi: invalid header version");
  INFO("events: " << joined(events));
  REQUIRE(events.size() >= 2);
  CHECK(events[0] == "connected");
  CHECK(events.back() == "error EPROTO");
  const auto errors = std::count_if(events.begin(), events.end(),
                                    [](const std::string& e) { return e.rfind("error", 0) == 0; });
  CHECK(errors == 1);
}

// The reset's error goes to the write (completed with ECONNRESET, its callback waiting for
// the next iteration) and the read in between sees EOF, which ends a FastCGI response: it
// once became an empty 200 where Go's client, writing the request before it reads, fails
// (and a held POST is retried).
TEST_CASE("a FastCGI upstream's reset during a write is a failure, not the response's end",
          "[proxy][fastcgi]") {
  BadRecordPeer peer;
  std::string failure;
  const auto events = runStream(peer, true, failure);
  INFO("events: " << joined(events));
  REQUIRE(events.size() == 2);
  CHECK(events[0] == "connected");
  CHECK((events[1] == "error ECONNRESET" || events[1] == "error EPIPE"));
}
