#include "http/h2_push_promise.h"

#include <catch2/catch.hpp>

using gatehouse::http::buildPushPromise;
using gatehouse::http::PushFields;
using gatehouse::http::PushPromiseInput;
using gatehouse::runtime::HeaderList;

namespace {
std::string build(std::string_view method, std::string_view target, const HeaderList& headers,
                  PushFields& out) {
  return buildPushPromise(PushPromiseInput{method, target, "https", "example.com:8443", &headers}, out);
}
}  // namespace

TEST_CASE("a push promise is laid out as Go's http2 server writes it", "[push]") {
  HeaderList headers;
  headers.add("User-Agent", "ua");
  headers.add("Caddy-Push", "1");
  headers.add("Accept", "*/*");
  PushFields out;
  REQUIRE(build("", "/a b.css?v=1#frag", headers, out).empty());
  PushFields want = {{":method", "GET"},          {":scheme", "https"}, {":authority", "example.com:8443"},
                     {":path", "/a%20b.css?v=1"}, {"accept", "*/*"},    {"caddy-push", "1"},
                     {"user-agent", "ua"}};
  CHECK(out == want);
  REQUIRE(build("HEAD", "https://other.example/x", HeaderList{}, out).empty());
  CHECK(out[0].second == "HEAD");
  CHECK(out[2].second == "other.example");
  CHECK(out[3].second == "/x");
  REQUIRE(build("GET", "/%41(b)", HeaderList{}, out).empty());
  CHECK(out[3].second == "/%41(b)");  // a valid escaped path goes as written
}

TEST_CASE("pushes Go refuses are refused", "[push]") {
  PushFields out;
  CHECK_FALSE(build("", "style.css", HeaderList{}, out).empty());
  CHECK_FALSE(build("", "http://example.com/x", HeaderList{}, out).empty());  // scheme differs
  CHECK_FALSE(build("", "https:///x", HeaderList{}, out).empty());            // no host
  CHECK_FALSE(build("POST", "/x", HeaderList{}, out).empty());
  CHECK_FALSE(build("", "/%zz", HeaderList{}, out).empty());
  for (const char* field : {"Host", "Content-Length", "Te", "Connection", "Expect"}) {
    HeaderList h;
    h.add(field, "x");
    CHECK_FALSE(build("", "/x", h, out).empty());
  }
}
