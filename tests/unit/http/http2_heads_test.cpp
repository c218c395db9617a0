#include <catch2/catch.hpp>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>

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
  // caddy 2.6.2's x/net looks for the token case-insensitively (measured: `{header.Expect}`
  // is empty there for "100-CONTINUE"; newer x/net compares exactly).
  CHECK(mapped("100-Continue", continues).empty());
  CHECK(continues);
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

namespace {
// A request head of the usual pseudo-header fields (values may be replaced) and `extra`.
H2RequestHead goHead(std::initializer_list<std::pair<const char*, const char*>> extra,
                     const char* authority = "a.test", const char* path = "/x", const char* method = "GET") {
  H2RequestHead head(1 << 20);
  head.add(":method", method);
  head.add(":scheme", "https");
  head.add(":authority", authority);
  head.add(":path", path);
  for (const auto& [name, value] : extra) {
    head.add(name, value);
  }
  return head;
}
}  // namespace

TEST_CASE("h2 request head: Go's checks in place of nghttp2's HTTP messaging") {
  SECTION("two Content-Length fields: the first one counts, as in Go") {
    H2RequestHead head = goHead({{"content-length", "3"}, {"content-length", "7"}}, "a.test", "/x", "POST");
    CHECK(head.declaredLength(false) == 3);
    Request req;
    REQUIRE(head.mapTo(req, false));
    CHECK(req.bodyLength == 3);
  }
  SECTION("a Content-Length that is no unsigned number declares 0 bytes; END_STREAM declares 0") {
    for (const char* bad : {"abc", "+3", "-1", " 3", "", "99999999999999999999"}) {
      H2RequestHead head = goHead({{"content-length", bad}}, "a.test", "/x", "POST");
      CHECK(head.declaredLength(false) == 0);
    }
    CHECK(goHead({{"content-length", "012"}}).declaredLength(false) == 12);
    CHECK(goHead({{"content-length", "5"}}).declaredLength(true) == 0);
    CHECK(goHead({}).declaredLength(false) == -1);
  }
  SECTION("an empty :authority falls back to Host, and both may be empty") {
    H2RequestHead head = goHead({{"host", "h.test"}}, "");
    Request req;
    REQUIRE(head.mapTo(req, true));
    CHECK(req.host == "h.test");
    H2RequestHead bare = goHead({}, "");
    Request req2;
    REQUIRE(bare.mapTo(req2, true));
    CHECK(req2.host.empty());
  }
  SECTION("an absolute-form :path keeps the :authority as the host; a space is escaped") {
    H2RequestHead head = goHead({}, "a.test", "http://other.test/p q?x=1");
    Request req;
    REQUIRE(head.mapTo(req, true));
    CHECK(req.host == "a.test");
    CHECK(req.path == "/p q");
    CHECK(req.rawPath == "/p%20q");
  }
  SECTION("malformed heads are refused: Go resets the stream") {
    auto refused = [](H2RequestHead head, bool endStream = true) {
      Request req;
      return !head.mapTo(req, endStream);
    };
    CHECK(refused(goHead({{"X-Upper", "1"}})));     // upper-case name
    CHECK(refused(goHead({{"x y", "1"}})));         // not a token
    CHECK(refused(goHead({{"x", "a\x01b"}})));      // control byte
    CHECK(refused(goHead({{":path", "/y"}})));      // a second :path
    CHECK(refused(goHead({{":foo", "1"}})));        // unknown pseudo-header field
    CHECK(refused(goHead({}, "a b")));              // no host holds a space
    CHECK(refused(goHead({}, "a.test", "x")));      // not a request URI
    CHECK(refused(goHead({}, "a.test", "/a\tb")));  // Go's URL parser refuses HTAB too
    CHECK(refused(goHead({}, "a.test", "/x", "G T")));
    H2RequestHead late(1 << 20);
    late.add(":method", "GET");
    late.add("x", "1");
    late.add(":scheme", "http");
    late.add(":path", "/");
    CHECK(refused(std::move(late)));
    H2RequestHead connectHost(1 << 20);  // CONNECT needs :authority itself
    connectHost.add(":method", "CONNECT");
    connectHost.add("host", "a.test:443");
    CHECK(refused(std::move(connectHost), false));
  }
  SECTION("connection-specific fields and TE other than trailers: Go's 400 text") {
    H2RequestHead conn = goHead({{"keep-alive", "1"}, {"connection", "close"}});
    Request req;
    REQUIRE(conn.mapTo(req, true));
    CHECK(conn.badRequest() == "request header \"Connection\" is not valid in HTTP/2");
    H2RequestHead te = goHead({{"te", "gzip"}});
    Request req2;
    REQUIRE(te.mapTo(req2, true));
    CHECK(te.badRequest() == "request header \"TE\" may only be \"trailers\" in HTTP/2");
    for (const char* fine : {"trailers", ""}) {
      H2RequestHead ok = goHead({{"te", fine}});
      Request req3;
      REQUIRE(ok.mapTo(req3, true));
      CHECK(ok.badRequest().empty());
    }
  }
  SECTION("100-continue is found in any Expect field's list, in any case (caddy 2.6.2's x/net)") {
    for (const char* value : {"foo, 100-continue", "100-CONTINUE", " 100-continue "}) {
      H2RequestHead head = goHead({{"expect", value}});
      Request req;
      REQUIRE(head.mapTo(req, false));
      CHECK(head.expectsContinue());
      CHECK_FALSE(req.headers.has("Expect"));
    }
    H2RequestHead two = goHead({{"expect", "foo"}, {"expect", "100-continue"}});
    Request req;
    REQUIRE(two.mapTo(req, false));
    CHECK(two.expectsContinue());
    H2RequestHead other = goHead({{"expect", "100-continuex"}});
    Request req2;
    REQUIRE(other.mapTo(req2, false));
    CHECK_FALSE(other.expectsContinue());
    CHECK(req2.headers.get("Expect") == "100-continuex");
  }
  SECTION("trailer fields: no pseudo-header field, Go's name and value rules") {
    CHECK(H2RequestHead::validTrailer("x-t", "1"));
    CHECK_FALSE(H2RequestHead::validTrailer(":path", "/"));
    CHECK_FALSE(H2RequestHead::validTrailer("X-T", "1"));
    CHECK_FALSE(H2RequestHead::validTrailer("x-t", "a\x7f"));
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
