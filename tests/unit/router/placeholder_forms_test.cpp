// Forms found by the session 12 placeholder hunt against caddy 2.6.2 (the compat case
// placeholders_escapes_indexes shows them end to end).
#include <catch2/catch.hpp>
#include <regex>

#include "router/go_atoi.h"
#include "router/placeholders.h"

using gatehouse::router::AtoiError;
using gatehouse::router::goAtoi;
using gatehouse::router::lookupPlaceholder;
using gatehouse::router::placeholderIsNil;
using gatehouse::router::setNilPlaceholder;
using gatehouse::router::Template;
using gatehouse::runtime::Exchange;

namespace {
Exchange request(std::string host, std::string path) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.host = std::move(host);
  ex.request.path = std::move(path);
  ex.request.remoteIp = "192.168.7.9";
  ex.request.remotePort = 40000;
  return ex;
}
std::string keep(const Exchange& ex, std::string_view text) {
  return Template(text).render(ex, Template::Unknown::Keep);
}
}  // namespace

TEST_CASE("goAtoi reads what Go's strconv.Atoi reads") {
  int64_t v = 0;
  CHECK(goAtoi("0080", v) == AtoiError::None);
  CHECK(v == 80);
  CHECK(goAtoi("+1", v) == AtoiError::None);
  CHECK(v == 1);
  CHECK(goAtoi("-9223372036854775808", v) == AtoiError::None);
  CHECK(goAtoi("9223372036854775807", v) == AtoiError::None);
  CHECK(goAtoi("9223372036854775808", v) == AtoiError::Range);
  CHECK(goAtoi("99999999999999999999999", v) == AtoiError::Range);
  CHECK(goAtoi("", v) == AtoiError::Syntax);
  CHECK(goAtoi("+", v) == AtoiError::Syntax);
  CHECK(goAtoi("1_0", v) == AtoiError::Syntax);
  CHECK(gatehouse::router::goAtoiMessage("a\"b", AtoiError::Syntax) ==
        "strconv.Atoi: parsing \"a\\\"b\": invalid syntax");
}

TEST_CASE("indexes Go cannot read stay unknown instead of throwing") {
  Exchange ex = request("a.b.c", "/x/y");
  std::string out;
  CHECK_FALSE(lookupPlaceholder("http.request.uri.path.99999999999999999999999", ex, out));
  CHECK_FALSE(lookupPlaceholder("http.request.host.labels.99999999999999999999", ex, out));
  CHECK_FALSE(lookupPlaceholder("http.request.uri.path.-1", ex, out));
  REQUIRE(lookupPlaceholder("http.request.uri.path.+1", ex, out));
  CHECK(out == "y");
  REQUIRE(lookupPlaceholder("http.request.uri.path.9223372036854775807", ex, out));
  CHECK(out.empty());
}

TEST_CASE("ports print as Atoi reads them; Host and Transfer-Encoding are no header fields") {
  Exchange ex = request("ex.test:0080", "/");
  ex.request.headers.add("Host", "ex.test:0080");
  ex.request.headers.add("Transfer-Encoding", "chunked");
  ex.request.headers.add("Content-Length", "4");
  ex.request.bodyLength = gatehouse::runtime::Request::kChunked;
  std::string out;
  REQUIRE(lookupPlaceholder("http.request.port", ex, out));
  CHECK(out == "80");
  REQUIRE(lookupPlaceholder("http.request.header.host", ex, out));
  CHECK(out.empty());
  REQUIRE(lookupPlaceholder("http.request.header.Transfer-Encoding", ex, out));
  CHECK(out.empty());
  REQUIRE(lookupPlaceholder("http.request.header.Content-Length", ex, out));
  CHECK(out.empty());  // Go drops it from a chunked request
  ex.request.bodyLength = 4;
  REQUIRE(lookupPlaceholder("http.request.header.Content-Length", ex, out));
  CHECK(out == "4");
}

TEST_CASE("remote.host/N prints the client's network as netip.Prefix") {
  Exchange ex = request("h", "/");
  std::string out;
  REQUIRE(lookupPlaceholder("http.request.remote.host/24", ex, out));
  CHECK(out == "192.168.7.0/24");
  REQUIRE(lookupPlaceholder("http.request.remote.host/12,64", ex, out));
  CHECK(out == "192.160.0.0/12");
  REQUIRE(lookupPlaceholder("http.request.remote.host/33", ex, out));
  CHECK(out.empty());
  ex.request.remoteIp = "2001:db8::1";
  REQUIRE(lookupPlaceholder("http.request.remote.host/16,32", ex, out));
  CHECK(out == "2001:db8::/32");
}

TEST_CASE("escaped braces and empty keys render as Caddy's replacer") {
  Exchange ex = request("h", "/p");
  CHECK(keep(ex, "[\\{path}]") == "[{path}]");
  CHECK(keep(ex, "[{path\\}] [x]") == "[{path}] [x]");  // the key runs past the escaped brace
  CHECK(keep(ex, "end {path\\}") == "end {path}");      // unless that brace ends the text
  CHECK(keep(ex, "[{}] [{] [}]") == "[{}] [{] [}]");
  CHECK(Template("a{}b").render(ex) == "ab");  // ReplaceAll: "" is an unknown key
  CHECK(keep(ex, "{{http.request.uri.path}}") == "{/p}");
}

TEST_CASE("{http.vars.start_time} is the request's start as Go prints a time.Time") {
  Exchange ex = request("h", "/");
  ex.request.start = std::chrono::steady_clock::now();
  std::string a;
  std::string b;
  REQUIRE(lookupPlaceholder("http.vars.start_time", ex, a));
  REQUIRE(lookupPlaceholder("http.vars.start_time", ex, b));
  CHECK(a == b);
  CHECK(std::regex_match(
      a, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \S+ m=\+\d+\.\d{9})")));
}

TEST_CASE("nil placeholders: unknown keys, unset vars, map results nothing gave") {
  Exchange ex = request("h", "/");
  CHECK(placeholderIsNil("nope", ex));
  CHECK(placeholderIsNil("http.vars.unset", ex));
  CHECK_FALSE(placeholderIsNil("http.request.uri.path", ex));
  setNilPlaceholder(ex, "mapped");
  CHECK(placeholderIsNil("mapped", ex));
  std::string out;
  REQUIRE(lookupPlaceholder("mapped", ex, out));
  CHECK(out.empty());
}

// Found by match_fuzz.py: "Host: [::1]" (no port) fails Go's SplitHostPort, and Caddy then
// uses the Host as it is, brackets kept, for {host} and for the labels alike.
TEST_CASE("a bracketed Host without a port keeps its brackets in {host} and labels") {
  Exchange ex = request("[::1]", "/");
  std::string out;
  REQUIRE(lookupPlaceholder("http.request.host", ex, out));
  CHECK(out == "[::1]");
  REQUIRE(lookupPlaceholder("http.request.host.labels.0", ex, out));
  CHECK(out == "[::1]");
  Exchange withPort = request("[::1]:8080", "/");
  REQUIRE(lookupPlaceholder("http.request.host.labels.0", withPort, out));
  CHECK(out == "::1");
  Exchange name = request("a.b.example.test:8080", "/");
  REQUIRE(lookupPlaceholder("http.request.host.labels.1", name, out));
  CHECK(out == "example");
}
