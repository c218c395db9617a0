// Http2Session unit tests: SETTINGS_MAX_CONCURRENT_STREAMS, enforced stream by stream as Go's
// server does (nghttp2 alone would end the connection once the SETTINGS are acknowledged).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http2_session_fixture.h"

using namespace gatehouse::testing::h2session;

namespace {
// A raw request HEADERS frame (END_STREAM | END_HEADERS) for stream `id`: GET / from static
// table entries and one literal without indexing, so the server's HPACK table is unchanged.
std::string rawGet(int32_t id) {
  const std::string block = std::string(
      "\x82\x86\x84\x01\x01"
      "a",
      6);
  std::string f;
  f += static_cast<char>(0);
  f += static_cast<char>(0);
  f += static_cast<char>(block.size());
  f += static_cast<char>(NGHTTP2_HEADERS);
  f += static_cast<char>(NGHTTP2_FLAG_END_STREAM | NGHTTP2_FLAG_END_HEADERS);
  for (int shift = 24; shift >= 0; shift -= 8) {
    f += static_cast<char>((id >> shift) & 0xff);
  }
  return f + block;
}

// The types of the frames in `out`, in order.
std::vector<int> frameTypes(const std::string& out) {
  std::vector<int> types;
  size_t at = 0;
  while (at + 9 <= out.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(out.data() + at);
    types.push_back(p[3]);
    at += 9 + ((size_t{p[0]} << 16) | (size_t{p[1]} << 8) | p[2]);
  }
  return types;
}

std::string rstFrame(int32_t id, uint32_t code) {
  std::string f("\x00\x00\x04\x03\x00", 5);
  for (int shift = 24; shift >= 0; shift -= 8) {
    f += static_cast<char>((id >> shift) & 0xff);
  }
  for (int shift = 24; shift >= 0; shift -= 8) {
    f += static_cast<char>((code >> shift) & 0xff);
  }
  return f;
}
}  // namespace

TEST_CASE("h2: the SETTINGS on the wire announce the server's stream limit") {
  Http2Limits limits;
  limits.maxConcurrentStreams = 4;
  Fixture f(limits);
  f.client.request("GET", "/hello");
  f.exchange();
  CHECK(nghttp2_session_get_remote_settings(f.client.session(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) ==
        4);
}

TEST_CASE("h2: streams over the limit before the SETTINGS are acknowledged are refused alone") {
  Http2Limits limits;
  limits.maxConcurrentStreams = 4;
  Fixture f(limits);
  std::vector<int32_t> ids;
  for (int i = 0; i < 6; ++i) {  // all sent before the client has seen our SETTINGS
    ids.push_back(f.client.request("POST", "/park", {}, nullptr, false));
  }
  f.exchange();
  REQUIRE(f.handler.allParked.size() == 4);
  for (size_t i = 0; i < ids.size(); ++i) {
    CAPTURE(i);
    CHECK(f.stream(ids[i]).gotRst == (i >= 4));
    if (i >= 4) {
      CHECK(f.stream(ids[i]).errorCode == NGHTTP2_REFUSED_STREAM);
    }
  }
  CHECK_FALSE(f.client.gotGoaway);
  for (Exchange* ex : f.handler.allParked) {
    ex->response.status = 200;
    ex->response.body = "done";
    ex->host->resume();
  }
  f.exchange();
  const int32_t later = f.client.request("GET", "/hello");
  f.exchange();
  CHECK(f.stream(later).headers[":status"] == "200");
  CHECK_FALSE(f.transport->closed);
}

TEST_CASE("h2: a stream over the acknowledged limit gets PROTOCOL_ERROR, the connection stays") {
  Http2Limits limits;
  limits.maxConcurrentStreams = 4;
  Fixture f(limits);
  for (int i = 0; i < 4; ++i) {
    f.client.request("POST", "/park", {}, nullptr, false);
  }
  f.exchange();  // the client has acknowledged our SETTINGS by now
  REQUIRE(f.handler.allParked.size() == 4);
  // The client's nghttp2 would hold a fifth stream back: sent raw instead (stream 9).
  const std::string head = rawGet(9);
  f.session->onData(head.data(), head.size());
  const std::string out = f.transport->out;
  CHECK(out.find(rstFrame(9, NGHTTP2_PROTOCOL_ERROR)) != std::string::npos);
  const std::vector<int> types = frameTypes(out);
  CHECK(std::find(types.begin(), types.end(), NGHTTP2_GOAWAY) == types.end());
  CHECK_FALSE(f.transport->closed);
}
