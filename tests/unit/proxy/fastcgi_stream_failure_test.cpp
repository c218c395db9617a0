// FastCgiStream after a failure of its own (a bad record here; a read_timeout or
// write_timeout deadline the same way), on a real loop against a loopback peer: its
// connection stays open, so a write that completed just before the bad record was read
// still calls back. The owner heard the failure and may be on its next attempt already: a
// late "written" pulled that attempt's body before its connection was even up (the same
// bug UpstreamConnection had, upstream_connection_failure_test.cpp).
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/fastcgi_stream.h"
#include "proxy/fastcgi_transport.h"
#include "upstream_failure_fixture.h"

using gatehouse::proxy::FastCgiStream;
using gatehouse::proxy::FastCgiTransport;
using gatehouse::testing::upstream_failure::errorCount;
using gatehouse::testing::upstream_failure::EventRecorder;
using gatehouse::testing::upstream_failure::joined;
using gatehouse::testing::upstream_failure::LoopbackPeer;

namespace {

// A loopback peer whose accepted side answers with a record header of an unknown version at
// once and reads nothing (the proxy's small writes still complete). Or, with acceptAndReset,
// one that resets the connection at once.
struct BadRecordPeer : LoopbackPeer {
  // Accepts and resets the connection (SO_LINGER 0): the proxy's next write takes the
  // ECONNRESET, and its read then sees a plain EOF.
  void acceptAndReset() {
    accept();
    const linger l{1, 0};
    ::setsockopt(conn, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(conn);
    conn = -1;
  }
  void acceptAndAnswerGarbage() {
    accept();
    const unsigned char header[8] = {9, 6, 0, 1, 0, 0, 0, 0};  // version 9: not FastCGI 1
    REQUIRE(::send(conn, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header));
  }
};

// Sends the request head once connected; the write completes before the bad record is read.
struct Owner final : EventRecorder {
  FastCgiStream* stream = nullptr;
  BadRecordPeer* peer = nullptr;
  bool reset = false;  // the peer resets instead of answering garbage

  void onUpstreamConnected() override {
    events.emplace_back("connected");
    reset ? peer->acceptAndReset() : peer->acceptAndAnswerGarbage();
    // A body follows: STDIN stays open.
    writeFromIdle([this] { stream->sendHead(std::string(200, 'p'), true); });
  }
};

// Runs one stream against `peer` until it is over; returns the owner's events.
std::vector<std::string> runStream(BadRecordPeer& peer, bool reset, std::string& failure) {
  const auto address = peer.address();
  FastCgiTransport transport;
  Owner owner;
  owner.reset = reset;
  {
    FastCgiStream stream(owner.loop(), address, owner.readBuffer(), 65536, transport, owner);
    owner.stream = &stream;
    owner.peer = &peer;
    REQUIRE(stream.connect(address, {}) == 0);
    owner.runBriefly();
    failure = stream.failure();
  }
  return owner.events;
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
  CHECK(errorCount(events) == 1);
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
