// Http2Session unit tests: tunnels handed over to a relay session (H2TunnelLink), as
// reverse_proxy's TunnelRelay takes an RFC 8441 WebSocket over.
#include <catch2/catch.hpp>

#include "http2_session_fixture.h"

using namespace gatehouse::testing::h2session;

namespace {
int32_t openRelay(Fixture& f) {
  f.exchange();  // SETTINGS with ENABLE_CONNECT_PROTOCOL reach the client
  const int32_t id = f.client.request("CONNECT", "/relay", {{":protocol", "websocket"}}, nullptr, false);
  f.exchange();
  return id;
}
}  // namespace

TEST_CASE(
    "h2 relay: the stream's exchange goes at the hand-over; bytes pass both ways; recorded at the end") {
  Fixture f;
  const int32_t id = openRelay(f);
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.handler.relayPeersDestroyed == 1);  // the exchange and its peer are gone
  CHECK(f.handler.finishedCount == 0);        // the relay records it when the tunnel ends
  f.client.sendData(id, "hello relay", false);
  f.exchange();
  CHECK(f.stream(id).body == "HELLO RELAY");
  // More than the client's initial window (65535): DATA frames follow its WINDOW_UPDATEs.
  f.client.sendData(id, "big:300000", false);
  f.exchange(2000);
  CHECK(f.stream(id).body.size() == 11 + 300000);
  CHECK(f.stream(id).body.substr(11) == std::string(300000, 'z'));
  CHECK_FALSE(f.stream(id).closed);
  f.client.sendData(id, "", true);  // END_STREAM: the relay half-closes back
  f.exchange();
  CHECK(f.stream(id).closed);
  CHECK(f.stream(id).errorCode == 0);
  CHECK_FALSE(f.stream(id).gotRst);
  CHECK(f.handler.relaysDestroyed == 1);
  CHECK(f.handler.finishedCount == 1);
  CHECK(f.handler.lastBytesWritten == 11 + 300000);  // the access log's size: the DATA bytes
}

TEST_CASE("h2 relay: a broken relay resets its stream (CONNECT_ERROR); a closed one ends it; others go on") {
  Fixture f;
  const int32_t broken = openRelay(f);
  const int32_t bye = f.client.request("CONNECT", "/relay", {{":protocol", "websocket"}}, nullptr, false);
  const int32_t other = f.client.request("CONNECT", "/relay", {{":protocol", "websocket"}}, nullptr, false);
  f.exchange();
  CHECK(f.handler.relayPeersDestroyed == 3);
  f.client.sendData(broken, "break", false);
  f.client.sendData(bye, "hi", false);
  f.exchange();
  f.client.sendData(bye, "bye", false);
  f.exchange();
  CHECK(f.stream(broken).closed);
  CHECK(f.stream(broken).errorCode == NGHTTP2_CONNECT_ERROR);
  // Closed without a failure: what was written, END_STREAM, then a reset (NO_ERROR) since
  // the client had not ended its side.
  CHECK(f.stream(bye).body == "HI");
  CHECK(f.stream(bye).closed);
  CHECK(f.stream(bye).errorCode == NGHTTP2_NO_ERROR);
  CHECK(f.handler.relaysDestroyed == 2);
  CHECK(f.handler.finishedCount == 2);
  CHECK_FALSE(f.stream(other).closed);
  f.client.sendData(other, "still here", true);
  f.exchange();
  CHECK(f.stream(other).body == "STILL HERE");
  CHECK(f.stream(other).closed);
  CHECK(f.handler.relaysDestroyed == 3);
  // A plain request on the same connection after all that.
  const int32_t get = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(get).headers[":status"] == "200");
}

TEST_CASE("h2 relay: a client reset or the connection's end destroys the relay, which records once") {
  Fixture f;
  const int32_t a = openRelay(f);
  const int32_t b = f.client.request("CONNECT", "/relay", {{":protocol", "websocket"}}, nullptr, false);
  f.exchange();
  f.client.reset(a, NGHTTP2_CANCEL);
  f.exchange();
  CHECK(f.handler.relaysDestroyed == 1);
  CHECK(f.handler.finishedCount == 1);
  CHECK_FALSE(f.session->idle());  // b's relay still runs
  f.client.sendData(b, "x", false);
  f.exchange();
  CHECK(f.stream(b).body == "X");
  f.session.reset();
  CHECK(f.handler.relaysDestroyed == 2);
  CHECK(f.handler.finishedCount == 2);
  CHECK(f.handler.lastBytesWritten == 1);
}

TEST_CASE("h2 relay: a trim (the connection was quiet) keeps open relays working") {
  Fixture f;
  const int32_t id = openRelay(f);
  const int32_t get = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(get).headers[":status"] == "200");
  f.session->trim();  // no exchange open: spare streams and cached blocks go
  f.client.sendData(id, "after trim", false);
  f.exchange();
  CHECK(f.stream(id).body == "AFTER TRIM");
  CHECK(f.handler.relaysDestroyed == 0);
}
