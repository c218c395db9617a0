// Http2Session unit tests. Request bodies: flow control, unread bodies, limits, 100-continue, truncation.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http2_session_fixture.h"

using namespace gatehouse::testing::h2session;

TEST_CASE("h2: request bodies are pulled through flow control") {
  Fixture f;
  const std::string big(3 * 1024 * 1024 + 5, 'b');
  const int32_t id = f.client.request("POST", "/upload", {}, &big);
  f.exchange(5000);
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.stream(id).body == "got " + std::to_string(big.size()));
}

TEST_CASE("h2: an unread body holds the client back at the stream window") {
  Fixture f;
  const std::string big(3 * 1024 * 1024, 'b');
  const int32_t id = f.client.request("POST", "/hold", {}, &big);
  f.exchange(5000);
  // The client may send no more than the 1 MiB window until the handler reads.
  CHECK(nghttp2_session_get_stream_remote_window_size(f.client.session(), id) == 0);
  CHECK_FALSE(f.stream(id).closed);
  REQUIRE(f.handler.heldReader != nullptr);
  f.handler.heldReader->release();
  f.exchange(5000);
  CHECK(f.stream(id).headers[":status"] == "200");
  CHECK(f.stream(id).body == "got " + std::to_string(big.size()));
}

TEST_CASE("h2: unread request bodies are stopped and give their connection credit back") {
  Fixture f;
  // Four parked handlers that never read: their bodies fill the whole 4 MiB connection
  // window (1 MiB stream window each) before they answer.
  const std::string big(2 * 1024 * 1024, 'u');
  std::vector<int32_t> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(f.client.request("POST", "/park", {}, &big));
  }
  f.exchange(5000);
  CHECK(nghttp2_session_get_remote_window_size(f.client.session()) == 0);
  REQUIRE(f.handler.allParked.size() == 4);
  for (Exchange* ex : f.handler.allParked) {
    ex->response.status = 200;
    ex->response.body = "done";
    ex->host->resume();
  }
  f.exchange(5000);
  for (int32_t id : ids) {
    CHECK(f.stream(id).body == "done");
    CHECK(f.stream(id).gotRst);
    CHECK(f.stream(id).errorCode == NGHTTP2_NO_ERROR);
  }
  // Had the unread bytes kept their share of the connection window, this would stall.
  const std::string body(3 * 1024 * 1024, 'v');
  const int32_t up = f.client.request("POST", "/upload", {}, &body);
  f.exchange(5000);
  CHECK(f.stream(up).body == "got " + std::to_string(body.size()));
}

TEST_CASE("h2: an answered request's announced rest that fits the window is dropped, not reset") {
  Fixture f;
  // 404 answers at once without reading; the body comes after the answer.
  const int32_t id = f.client.request("PUT", "/nothere", {{"content-length", "10"}}, nullptr, false);
  f.exchange(5000);
  CHECK(f.stream(id).headers[":status"] == "404");
  CHECK_FALSE(f.stream(id).gotRst);  // curl 7.88 throws the answer away on this reset
  f.client.sendData(id, "0123456789", true);
  f.exchange(5000);
  CHECK(f.stream(id).closed);
  CHECK_FALSE(f.stream(id).gotRst);
  CHECK(f.handler.finishedCount == 1);
  // Four such bodies of 1 MiB each, dropped, fill the 4 MiB connection window unless
  // they give their connection credit back; the upload after them would stall.
  const std::string mib(1024 * 1024, 'd');
  for (int i = 0; i < 4; ++i) {
    const int32_t n =
        f.client.request("PUT", "/nothere", {{"content-length", std::to_string(mib.size())}}, nullptr, false);
    f.exchange(5000);
    CHECK_FALSE(f.stream(n).gotRst);
    f.client.sendData(n, mib, true);
    f.exchange(5000);
    CHECK(f.stream(n).closed);
  }
  const std::string body(3 * 1024 * 1024, 'v');
  const int32_t up = f.client.request("POST", "/upload", {}, &body);
  f.exchange(5000);
  CHECK(f.stream(up).body == "got " + std::to_string(body.size()));
}

TEST_CASE("h2: an answered request whose rest is unknown or over the window is reset") {
  for (const char* length : {"", "3145728"}) {
    Fixture f;
    std::vector<std::pair<std::string, std::string>> extra;
    if (*length != 0) {
      extra.emplace_back("content-length", length);
    }
    const int32_t id = f.client.request("PUT", "/nothere", extra, nullptr, false);
    f.exchange(5000);
    CHECK(f.stream(id).headers[":status"] == "404");
    CHECK(f.stream(id).gotRst);
    CHECK(f.stream(id).errorCode == NGHTTP2_NO_ERROR);
  }
}

TEST_CASE("h2: request_body max_size ends the pull with E2BIG") {
  Fixture f;
  // /upload answers 413 on UV_E2BIG; the limit is what a request_body handler would set.
  struct Limit final : RequestHandler {
    RequestHandler& inner;
    explicit Limit(RequestHandler& h) : inner(h) {}
    Outcome handle(Exchange& ex) override {
      ex.request.maxBodyBytes = 1000;
      return inner.handle(ex);
    }
    Outcome resumed(Exchange& ex) override { return inner.resumed(ex); }
  } limit(f.handler);
  Http2Session session(*f.transport, limit, f.dates, Http2Limits{});
  H2Client client;
  const std::string body(5000, 'z');
  const int32_t id = client.request("POST", "/upload", {}, &body);
  for (int i = 0; i < 200; ++i) {
    std::string up = client.takeOutput();
    if (!up.empty()) {
      session.onData(up.data(), up.size());
    }
    std::string down = std::exchange(f.transport->out, {});
    client.feed(down);
    const int active = uv_run(&f.loop, UV_RUN_NOWAIT);
    if (up.empty() && down.empty() && active == 0) {
      break;
    }
  }
  CHECK(client.streams[id].headers[":status"] == "413");
}

TEST_CASE("h2: Expect: 100-continue gets its 100 once the handler reads") {
  Fixture f;
  const int32_t reads = f.client.request("POST", "/upload", {{"expect", "100-continue"}}, nullptr, false);
  const int32_t ignores = f.client.request("POST", "/hello", {{"expect", "100-continue"}}, nullptr, false);
  f.exchange();
  CHECK(f.stream(reads).statuses == std::vector<std::string>{"100"});
  f.client.sendData(reads, "abc", true);
  f.exchange();
  CHECK(f.stream(reads).statuses == std::vector<std::string>{"100", "200"});
  CHECK(f.stream(reads).body == "got 3");
  CHECK(f.stream(ignores).statuses == std::vector<std::string>{"200"});
}

TEST_CASE("h2: Expect: 100-continue gets its 100 when a handler reads a body that is not there") {
  // Go's requestBody.Read sends the 100 on any read, END_STREAM on the HEADERS or not
  // (caddy 2.6.2's {http.request.body} on such a request: 100, then 200).
  Fixture f;
  const int32_t bodyless = f.client.request("GET", "/upload", {{"expect", "100-continue"}});
  const int32_t plain = f.client.request("GET", "/upload", {});
  const int32_t unread = f.client.request("GET", "/hello", {{"expect", "100-continue"}});
  f.exchange();
  CHECK(f.stream(bodyless).statuses == std::vector<std::string>{"100", "200"});
  CHECK(f.stream(bodyless).body == "got 0");
  CHECK(f.stream(plain).statuses == std::vector<std::string>{"200"});
  CHECK(f.stream(unread).statuses == std::vector<std::string>{"200"});
}

TEST_CASE("h2: the client's EOF cuts a body short; the answer still goes out, then the close") {
  Fixture f;
  const int32_t id = f.client.request("POST", "/upload", {}, nullptr, false);
  f.client.sendData(id, "partial", false);
  f.exchange();
  CHECK_FALSE(f.stream(id).closed);
  f.session->onEof();
  f.exchange();
  CHECK(f.stream(id).headers[":status"] == "400");  // BodyReader's answer to UV_EPROTO
  CHECK(f.stream(id).gotRst);
  CHECK(f.session->idle());
  CHECK(f.transport->closed);
}
