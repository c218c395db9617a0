// Http2Session unit tests. Bad input: invalid fields, oversized header lists, a client that is not HTTP/2.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http2_session_fixture.h"

using namespace gatehouse::testing::h2session;

TEST_CASE("h2: an invalid field value resets the stream with PROTOCOL_ERROR") {
  Fixture f;
  const int32_t bad = f.client.request("GET", "/hello", {{"x-bad", std::string("a\x01z")}});
  f.exchange();
  CHECK(f.stream(bad).gotRst);
  CHECK(f.stream(bad).errorCode == NGHTTP2_PROTOCOL_ERROR);
  CHECK(f.handler.finishedCount == 0);
}

TEST_CASE("h2: a control byte in :path resets the stream") {
  Fixture f;
  const int32_t bad = f.client.request("GET", std::string("/a\x7f"));
  f.exchange();
  CHECK(f.stream(bad).gotRst);
  CHECK(f.stream(bad).errorCode == NGHTTP2_PROTOCOL_ERROR);
  CHECK(f.handler.finishedCount == 0);
}

TEST_CASE("h2: a header list over max_header_bytes gets 431") {
  Http2Limits limits;
  limits.maxHeaderBytes = 1024;
  Fixture f(limits);
  const int32_t id = f.client.request("GET", "/hello", {{"x-big", std::string(2000, 'v')}});
  f.exchange();
  CHECK(f.stream(id).headers[":status"] == "431");
}

TEST_CASE("h2: a client that is not HTTP/2 gets the connection closed") {
  Fixture f;
  const std::string junk = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  f.session->onData(junk.data(), junk.size());
  CHECK(f.transport->closed);
}
