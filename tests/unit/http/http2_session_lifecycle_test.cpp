// Http2Session unit tests. Stream and connection ends: client resets, GOAWAY on stop and on close.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http2_session_fixture.h"

using namespace gatehouse::testing::h2session;

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
                         uint32_t(uint8_t(down[11])) << 8 | uint8_t(down[12])) &
                        0x7fffffff;
  CHECK(last == uint32_t(id));
  CHECK(f.transport->closed);
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
