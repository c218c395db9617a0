// The http_redirect wrapper's judgement of a connection's first bytes and the Location it
// builds, as Caddy 2.6.2 answers (bytes checked against it in
// tests/e2e/http_redirect_wrapper_vs_caddy_test.py).
#include "server/http_redirect.h"

#include <catch2/catch.hpp>

using gatehouse::server::HttpRedirectSniffer;
using gatehouse::server::redirectLocation;
using Verdict = HttpRedirectSniffer::Verdict;

namespace {
std::string location(const char* host, const char* target) {
  bool ok = false;
  std::string out = redirectLocation(host, target, ok);
  return ok ? out : "<fail>";
}
}  // namespace

TEST_CASE("only Go's five plain-HTTP starts are sniffed; TLS passes through") {
  HttpRedirectSniffer tlsHello(1 << 20);
  CHECK(tlsHello.feed(std::string_view("\x16\x03\x01\x00\x05hello", 10)) == Verdict::PassThrough);
  CHECK(tlsHello.buffered().size() == 10);
  HttpRedirectSniffer del(1 << 20);
  CHECK(del.feed("DELETE /x HTTP/1.1\r\n\r\n") == Verdict::PassThrough);
  HttpRedirectSniffer split(1 << 20);
  CHECK(split.feed("GE") == Verdict::NeedMore);
  CHECK(split.feed("T /p HTTP/1.1\r\nHo") == Verdict::NeedMore);
  CHECK(split.feed("st: a.test\r\n\r\n") == Verdict::Redirect);
  HttpRedirectSniffer bareLf(1 << 20);
  CHECK(bareLf.feed("GET /p HTTP/1.1\nHost: a\n") == Verdict::NeedMore);
  CHECK(bareLf.feed("\n") == Verdict::Redirect);
  CHECK(split.response() ==
        "HTTP/1.0 308 Permanent Redirect\r\nLocation: https://a.test/p\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("a request Go could not read gets no answer") {
  HttpRedirectSniffer badEscape(1 << 20);
  CHECK(badEscape.feed("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n") == Verdict::Close);
  HttpRedirectSniffer twoHosts(1 << 20);
  CHECK(twoHosts.feed("GET /p HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == Verdict::Close);
  HttpRedirectSniffer relative(1 << 20);
  CHECK(relative.feed("POST x HTTP/1.1\r\nHost: a\r\n\r\n") == Verdict::Close);
  HttpRedirectSniffer noVersion(1 << 20);
  CHECK(noVersion.feed("GET /p\r\nHost: a\r\n\r\n") == Verdict::Close);
  HttpRedirectSniffer huge(64);
  CHECK(huge.feed("GET /p HTTP/1.1\r\nX: " + std::string(100, 'a')) == Verdict::Close);
}

TEST_CASE("Location: host as sent, target as Go's URL.String prints it") {
  CHECK(location("h", "/a%41b") == "https://h/a%41b");
  CHECK(location("h", "/a%2fb") == "https://h/a%2fb");
  CHECK(location("h", "/\xc3\xa9") == "https://h/%C3%A9");
  CHECK(location("h", "//x/y") == "https://h//x/y");
  CHECK(location("h", "/p?q=%zz") == "https://h/p?q=%zz");
  CHECK(location("h", "/p#frag") == "https://h/p%23frag");
  CHECK(location("h", "/p?") == "https://h/p?");
  CHECK(location("a", "*") == "https://a*");
  CHECK(location("", "/p") == "https:///p");
  CHECK(location("h", "/%zz") == "<fail>");
}
