// Http2Session unit tests. Responses: heads, bodies (fixed, streamed, failing), stream ordering, output
// back-pressure, tunnels.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "http2_session_fixture.h"

using namespace gatehouse::testing::h2session;

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

// As Go's HTTP/2 writer: a HEAD answer's body is taken and dropped, and counted as written
// (the access log's `size`, as Caddy's recorder).
TEST_CASE("h2: HEAD counts the dropped body as written") {
  Fixture f;
  const int32_t head = f.client.request("HEAD", "/hello");
  f.exchange();
  CHECK(f.stream(head).body.empty());
  CHECK(f.handler.lastBytesWritten == 42);
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

TEST_CASE("h2: an untyped streamed body is sniffed within the client's window and the body budget") {
  SECTION("a closed window: no piece is read, no head goes, until the client opens it") {
    Fixture f({}, 0);
    const int32_t id = f.client.request("GET", "/large-untyped");
    f.exchange(300);
    CHECK(f.handler.pulls == 0);
    CHECK(f.stream(id).headers.empty());
    nghttp2_session_set_local_window_size(f.client.session(), NGHTTP2_FLAG_NONE, id, 1 << 20);
    f.exchange(5000);
    CHECK(f.stream(id).headers[":status"] == "200");
    CHECK(f.stream(id).headers["content-type"] == "text/plain; charset=utf-8");
    CHECK(f.stream(id).body.size() == 600'000);
  }
  SECTION("many streams, one byte of window each: the first pieces stay within the budget") {
    Fixture f({}, 1);
    std::vector<int32_t> ids;
    for (int i = 0; i < 20; ++i) {
      ids.push_back(f.client.request("GET", "/large-untyped"));
    }
    f.exchange(300);
    CHECK(f.handler.pulls > 0);
    CHECK(f.handler.pulls <= 9);
    for (int32_t id : ids) {
      nghttp2_session_set_local_window_size(f.client.session(), NGHTTP2_FLAG_NONE, id, 1 << 20);
    }
    f.exchange(5000);
    for (int32_t id : ids) {
      CHECK(f.stream(id).headers["content-type"] == "text/plain; charset=utf-8");
      CHECK(f.stream(id).body.size() == 600'000);
    }
  }
}

TEST_CASE("h2: a streamed body that ends short of its content-length resets the stream") {
  Fixture f;
  const int32_t id = f.client.request("GET", "/short");
  const int32_t ok = f.client.request("GET", "/hello");
  f.exchange(2000);
  CHECK(f.stream(id).closed);
  CHECK(f.stream(id).errorCode == NGHTTP2_INTERNAL_ERROR);
  CHECK(f.stream(ok).errorCode == 0);
  CHECK(f.stream(ok).headers[":status"] == "200");
}

TEST_CASE("h2: a tunnel that ends as broken is reset (CONNECT_ERROR); the others go on") {
  Fixture f;
  f.exchange();
  const int32_t id = f.client.request("CONNECT", "/ws", {{":protocol", "websocket"}}, nullptr, false);
  const int32_t other = f.client.request("CONNECT", "/ws", {{":protocol", "websocket"}}, nullptr, false);
  f.exchange();
  f.client.sendData(id, "hello", false);
  f.exchange();
  CHECK(f.stream(id).body == "HELLO");
  f.client.sendData(id, "break", false);
  f.exchange();
  CHECK(f.stream(id).closed);
  CHECK(f.stream(id).errorCode == NGHTTP2_CONNECT_ERROR);
  CHECK_FALSE(f.stream(other).closed);
  f.client.sendData(other, "still here", true);
  f.exchange();
  CHECK(f.stream(other).body == "STILL HERE");
  CHECK(f.stream(other).closed);
  CHECK(f.stream(other).errorCode == 0);
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

TEST_CASE("h2: write_timeout resets each stream still open at its own deadline; the connection lives on") {
  gatehouse::http::Http2Limits limits;
  limits.writeTimeout = std::chrono::milliseconds(60);
  Fixture f(limits);
  const int32_t parked = f.client.request("GET", "/park");  // never answered
  const int32_t quick = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(quick).headers[":status"] == "200");
  CHECK_FALSE(f.stream(parked).closed);
  // Bounded wait past the deadline (60 ms): 60 rounds of 5 ms.
  for (int i = 0; i < 60 && !f.stream(parked).closed; ++i) {
    uv_sleep(5);
    f.exchange();
  }
  CHECK(f.stream(parked).gotRst);
  CHECK(f.stream(parked).errorCode == NGHTTP2_INTERNAL_ERROR);
  CHECK(f.handler.pendingDestroyed);  // its handler's work ends with it
  CHECK_FALSE(f.transport->closed);
  CHECK(f.stream(quick).errorCode == 0);
  const int32_t later = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(later).headers[":status"] == "200");
  CHECK(f.transport->phase == MemoryTransport::Phase::Idle);
}
