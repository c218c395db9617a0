#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "http/h2_request_head.h"
#include "http/h2_response_head.h"

using gatehouse::http::H2RequestHead;
using gatehouse::http::H2ResponseHead;
using gatehouse::runtime::Request;
using gatehouse::runtime::Response;

namespace {
std::map<std::string, std::string> fieldsOf(const H2ResponseHead& head) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < head.size(); ++i) {
    const auto& nv = head.data()[i];
    out[std::string(reinterpret_cast<const char*>(nv.name), nv.namelen)] =
        std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen);
  }
  return out;
}
}  // namespace

TEST_CASE("h2 request head: pseudo-header fields map like Go's http2 server") {
  H2RequestHead head(1 << 20);
  head.add(":method", "POST");
  head.add(":scheme", "https");
  head.add(":path", "/a%20b?q=1");
  head.add("host", "fallback.test:8443");
  head.add("cookie", "a=1");
  head.add("x-trace-id", "7");
  head.add("cookie", "b=2");
  head.add("content-length", "12");
  Request req;
  REQUIRE(head.mapTo(req, false));
  CHECK(req.method == "POST");
  CHECK(req.host == "fallback.test:8443");  // no :authority: the Host field
  CHECK_FALSE(req.headers.has("Host"));
  CHECK(req.path == "/a b");
  CHECK(req.query == "q=1");
  CHECK(req.origUri == "/a%20b?q=1");
  CHECK(req.headers.get("Cookie") == "a=1; b=2");
  CHECK(req.headers.get("X-Trace-Id") == "7");
  CHECK(req.bodyLength == 12);
  CHECK(req.versionMajor == 2);
  CHECK(req.versionMinor == 0);
}

TEST_CASE("h2 request head: Expect: 100-continue is taken out, as Go's http2 server does") {
  auto mapped = [](std::string_view expect, bool& continues) {
    H2RequestHead head(1 << 20);
    head.add(":method", "POST");
    head.add(":scheme", "https");
    head.add(":path", "/upload");
    head.add("expect", expect);
    Request req;
    REQUIRE(head.mapTo(req, false));
    continues = head.expectsContinue();
    return std::string(req.headers.get("Expect"));
  };
  bool continues = false;
  CHECK(mapped("100-continue", continues).empty());  // not forwarded by reverse_proxy
  CHECK(continues);
  CHECK(mapped("100-Continue", continues) == "100-Continue");  // Go compares exactly
  CHECK_FALSE(continues);
  CHECK(mapped("other", continues) == "other");
  CHECK_FALSE(continues);
}

TEST_CASE("h2 request head: CONNECT forms, unknown lengths and bad values") {
  SECTION("classic CONNECT targets the authority") {
    H2RequestHead head(1 << 20);
    head.add(":method", "CONNECT");
    head.add(":authority", "upstream.test:443");
    Request req;
    REQUIRE(head.mapTo(req, false));
    CHECK(req.host == "upstream.test:443");
    CHECK(req.upgrade.empty());
    CHECK(req.bodyLength == Request::kChunked);
  }
  SECTION("extended CONNECT carries :protocol as the upgrade") {
    H2RequestHead head(1 << 20);
    head.add(":method", "CONNECT");
    head.add(":protocol", "websocket");
    head.add(":scheme", "http");
    head.add(":authority", "ws.test");
    head.add(":path", "/chat");
    Request req;
    REQUIRE(head.mapTo(req, false));
    CHECK(req.upgrade == "websocket");
    CHECK(req.path == "/chat");
    CHECK(req.host == "ws.test");
  }
  SECTION("control bytes in a pseudo-header value reject the request") {
    // (nghttp2 resets streams with bad regular field values, and with bad :method, :path
    // or :authority values, before they arrive here: e2e_h2_abuse_test bad_field_values,
    // "h2: a control byte in :path resets the stream")
    H2RequestHead head(1 << 20);
    head.add(":method", "GET");
    head.add(":scheme", "ht\x7ftp");
    head.add(":path", "/a");
    Request req;
    CHECK_FALSE(head.mapTo(req, true));
  }
  SECTION("a :scheme other than http or https rejects the request, as in Go") {
    for (const char* scheme : {"ftp", "HTTP", ""}) {
      H2RequestHead head(1 << 20);
      head.add(":method", "GET");
      head.add(":scheme", scheme);
      head.add(":authority", "a.test");
      head.add(":path", "/a");
      Request req;
      CHECK_FALSE(head.mapTo(req, true));
    }
  }
  SECTION("empty cookie crumbs are joined too, as Go joins every cookie field") {
    H2RequestHead head(1 << 20);
    head.add(":method", "GET");
    head.add(":scheme", "http");
    head.add(":path", "/");
    head.add("cookie", "");
    head.add("cookie", "b=2");
    head.add("cookie", "");
    Request req;
    REQUIRE(head.mapTo(req, true));
    CHECK(req.headers.get("Cookie") == "; b=2; ");
    CHECK(req.headers.has("Cookie"));
  }
  SECTION("one empty cookie field still makes a Cookie field") {
    H2RequestHead head(1 << 20);
    head.add(":method", "GET");
    head.add(":scheme", "http");
    head.add(":path", "/");
    head.add("cookie", "");
    Request req;
    REQUIRE(head.mapTo(req, true));
    CHECK(req.headers.has("Cookie"));
  }
  SECTION("the size limit counts 32 bytes per field") {
    H2RequestHead head(100);
    head.add(":method", "GET");  // 7 + 3 + 32 = 42
    head.add(":path", "/");      // 5 + 1 + 32 = 38
    CHECK_FALSE(head.tooLarge());
    head.add("a", "bcdefghijklmnopqrstu");  // 1 + 20 + 32 = 53
    CHECK(head.tooLarge());
  }
}

TEST_CASE("h2 response head: lowercase, no connection-specific fields, lengths by status") {
  gatehouse::http::DateCache dates;
  Response res;
  res.status = 200;
  res.headers.add("Content-Type", "text/plain");
  res.headers.add("Connection", "keep-alive");
  res.headers.add("Keep-Alive", "timeout=5");
  res.headers.add("Transfer-Encoding", "chunked");
  res.headers.add("Upgrade", "h2c");
  res.headers.add("Proxy-Connection", "close");
  res.headers.add("X-Bad", "line\nbreak");
  SECTION("200 with a known length") {
    H2ResponseHead head;
    head.build(res, 5, dates);
    auto f = fieldsOf(head);
    CHECK(std::string(reinterpret_cast<const char*>(head.data()[0].name), head.data()[0].namelen) ==
          ":status");
    CHECK(f[":status"] == "200");
    CHECK(f["content-type"] == "text/plain");
    CHECK(f["content-length"] == "5");
    CHECK(f.count("date") == 1);
    for (const char* gone :
         {"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "x-bad"}) {
      CHECK(f.count(gone) == 0);
    }
  }
  SECTION("304 announces no length of its own") {
    res.status = 304;
    H2ResponseHead head;
    head.build(res, 99, dates);
    CHECK(fieldsOf(head).count("content-length") == 0);
  }
  SECTION("a handler's Content-Length on a 304 goes out, as Go's HTTP/2 server sends it") {
    res.status = 304;
    res.headers.add("Content-Length", "99");
    H2ResponseHead head;
    head.build(res, std::nullopt, dates);
    CHECK(fieldsOf(head)["content-length"] == "99");
  }
  SECTION("a 204 keeps a Content-Length of 0 only (clients reset a stream announcing more)") {
    res.status = 204;
    res.headers.add("Content-Length", "0");
    H2ResponseHead zero;
    zero.build(res, std::nullopt, dates);
    CHECK(fieldsOf(zero)["content-length"] == "0");
    res.headers.set("Content-Length", "5");
    H2ResponseHead five;
    five.build(res, std::nullopt, dates);
    CHECK(fieldsOf(five).count("content-length") == 0);
  }
  SECTION("a handler's Date and Content-Length win") {
    res.headers.add("Date", "Mon, 01 Jan 2024 00:00:00 GMT");
    res.headers.add("Content-Length", "3");
    H2ResponseHead head;
    head.build(res, 5, dates);
    auto f = fieldsOf(head);
    CHECK(f["date"] == "Mon, 01 Jan 2024 00:00:00 GMT");
    CHECK(f["content-length"] == "3");
  }
}
