// UpstreamConnection after a failure, on a real loop against a loopback peer: a write that
// completed just before the read saw the peer's hang-up must not report "written" (or a
// second error) once the failure was reported. Its owner may already be on the next
// attempt: a late onUpstreamWritten pulled a held request body into nowhere, and the retry
// then sent a Content-Length with no body behind it (e2e_proxy_retry_hangup_test).
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "proxy/upstream_connection.h"
#include "upstream_failure_fixture.h"

using gatehouse::proxy::UpstreamConnection;
using gatehouse::testing::upstream_failure::errorCount;
using gatehouse::testing::upstream_failure::EventRecorder;
using gatehouse::testing::upstream_failure::joined;
using gatehouse::testing::upstream_failure::LoopbackPeer;

namespace {

// A loopback peer whose accepted side sends FIN at once but stays open (no RST: the proxy's
// writes keep succeeding, as they do against a server that half-closed).
struct HalfClosingPeer : LoopbackPeer {
  void acceptAndHangUp() {
    accept();
    ::shutdown(conn, SHUT_WR);
  }
};

// Writes its request once connected; the write completes before the peer's FIN is read.
struct Recorder final : EventRecorder {
  UpstreamConnection* conn = nullptr;
  HalfClosingPeer* peer = nullptr;

  void onUpstreamConnected() override {
    events.emplace_back("connected");
    peer->acceptAndHangUp();
    conn->expectResponse(false);
    writeFromIdle([this] { conn->write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"); });
  }
};

}  // namespace

TEST_CASE("a failed upstream connection reports nothing after its failure", "[proxy][upstream]") {
  HalfClosingPeer peer;
  const auto address = peer.address();
  Recorder rec;
  {
    UpstreamConnection conn(rec.loop(), address, 0, rec.readBuffer(), 65536);
    rec.conn = &conn;
    rec.peer = &peer;
    REQUIRE(conn.connect(rec, address) == 0);
    rec.runBriefly();
    CHECK(conn.dead());
  }
  INFO("events: " << joined(rec.events));
  REQUIRE(rec.events.size() >= 2);
  CHECK(rec.events[0] == "connected");
  CHECK(rec.events.back() == "error EOF");
  CHECK(errorCount(rec.events) == 1);
}
