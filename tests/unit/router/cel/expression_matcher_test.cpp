// The expression matcher with Caddy's additions: placeholders (typed as Caddy's replacer
// types them), matcher functions, regexp captures, and start-up errors.
#include "router/cel/expression_matcher.h"

#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "router/matcher_error.h"
#include "router/placeholders.h"

using gatehouse::config::Json;
using gatehouse::provision::ProvisionError;
using gatehouse::router::lookupPlaceholder;
using gatehouse::router::takeMatcherError;
using gatehouse::router::cel::expandPlaceholders;
using gatehouse::router::cel::makeExpressionMatcher;
using gatehouse::runtime::Exchange;

namespace {

Exchange request(const std::string& path) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.host = "example.com";
  ex.request.path = path;
  ex.request.rawPath = path;
  ex.request.query = "a=b";
  ex.request.hasQuery = true;
  ex.request.remoteIp = "10.1.2.3";
  ex.request.remotePort = 5555;
  ex.request.localPort = 8080;
  ex.request.headers.add("X-Api", "v2");
  return ex;
}

bool matches(const std::string& expr, Exchange& ex) {
  return makeExpressionMatcher(Json(expr), "m")->match(ex);
}

std::string refusal(const Json& value) {
  try {
    makeExpressionMatcher(value, "routes[0].match[0].expression");
  } catch (const ProvisionError& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("expression: placeholder shorthand expands as Caddy 2.6.2's") {
  CHECK(expandPlaceholders("{http.request.uri.path} == '/'") ==
        "caddyPlaceholder(request, \"http.request.uri.path\") == '/'");
  CHECK(expandPlaceholders("{'a': 1}") == "{'a': 1}");
  CHECK(expandPlaceholders("{a} {1a} {_ab} {ab}") == "{a} {1a} {_ab} caddyPlaceholder(request, \"ab\")");
}

TEST_CASE("expression: placeholders with Caddy's value types") {
  Exchange ex = request("/api/x");
  CHECK(matches("{http.request.uri.path}.startsWith('/api')", ex));
  CHECK(matches("{http.request.method} == 'GET' && {http.request.host} == 'example.com'", ex));
  CHECK(matches("{http.request.remote.port} == 5555 && type({http.request.remote.port}) == int", ex));
  CHECK(matches("{http.request.header.X-Api} in ['v1', 'v2']", ex));
  CHECK(matches("{no.such.placeholder} == null", ex));
  CHECK_FALSE(matches("{http.request.uri.path} == 400", ex));  // heterogeneous: unequal, no error
  CHECK_FALSE(takeMatcherError(ex).has_value());
}

TEST_CASE("expression: matcher functions run Gatehouse's matchers") {
  Exchange ex = request("/api/x");
  CHECK(matches("path('/api/*') && method('GET', 'POST')", ex));
  CHECK(matches("host('example.com') && query({'a': 'b'}) && header({'X-Api': ['v1', 'v2']})", ex));
  CHECK(matches("remote_ip('10.0.0.0/8') && protocol('http')", ex));
  CHECK_FALSE(matches("path('/other') || method('PUT')", ex));
  CHECK(matches("path({http.request.uri.path})", ex));  // built per request
  CHECK(matches("path('/api/' + 'x')", ex));
}

TEST_CASE("expression: regexp matcher functions record captures as Caddy names them") {
  Exchange ex = request("/api/v7/items");
  REQUIRE(matches("path_regexp('^/api/v([0-9]+)/')", ex));
  std::string out;
  REQUIRE(lookupPlaceholder("http.regexp.1", ex, out));
  CHECK(out == "7");
  REQUIRE(matches("path_regexp('ver', '^/api/v(?P<n>[0-9]+)/')", ex));
  REQUIRE(lookupPlaceholder("http.regexp.ver.n", ex, out));
  CHECK(out == "7");
  REQUIRE(matches("header_regexp('hdr', 'X-Api', '^v(.)$')", ex));
  REQUIRE(lookupPlaceholder("http.regexp.hdr.1", ex, out));
  CHECK(out == "2");
}

TEST_CASE("expression: an evaluation error fails the route with a 500") {
  Exchange ex = request("/");
  CHECK_FALSE(matches("{http.request.uri.path} == '/' && 1 / 0 == 1", ex));
  auto err = takeMatcherError(ex);
  REQUIRE(err.has_value());
  CHECK(err->status == 0);  // a plain error: the route fails with 500
  CHECK(err->message == "division by zero");
}

TEST_CASE("expression: start-up errors name the JSON path and the position") {
  CHECK(refusal(Json("{http.request.uri.path}")) ==
        "routes[0].match[0].expression: CEL request matcher expects return type of bool, not "
        "google.protobuf.Any");
  std::string e = refusal(Json("ph(req, 'x') == 'y'"));
  CHECK(
      e.find(
          "routes[0].match[0].expression: compiling CEL program: ERROR: <input>:1:3: undeclared reference to "
          "'ph' (in container '')") == 0);
  CHECK(refusal(Json("path(1)")).find("<input>:1:6: matcher arguments must be string constants") !=
        std::string::npos);
  CHECK(refusal(Json("header('X')")).find("matcher requires a map literal argument") != std::string::npos);
  CHECK(refusal(Json("path_regexp('(')")).find("invalid regular expression") != std::string::npos);
  // cel-go folds a conversion of a constant when it plans: its error stops start-up.
  CHECK(refusal(Json("int(string(int('x'))) == 1")) ==
        "routes[0].match[0].expression: compiling CEL program: type conversion error from 'string' to 'int'");
  CHECK(refusal(Json("[uint(-1)].size() == 1")).find("unsigned integer overflow") != std::string::npos);
  CHECK(refusal(Json("string(b'\\xff') == ''")).find("invalid UTF-8 in bytes") != std::string::npos);
  CHECK(refusal(Json("int(['x'][0]) == 1")) == "accepted");  // an index is no constant
  CHECK(refusal(Json("file()")).find("<input>:1:5: matcher requires at least one argument") !=
        std::string::npos);
  // A placeholder's google.protobuf.Any is no comprehension range for cel-go.
  CHECK(refusal(Json("{http.request.uri.path}.all(c, c == 'a')"))
            .find("expression of type 'any' cannot be range of a comprehension") != std::string::npos);
  CHECK(refusal(Json("remote_ip('forwarded', '10.0.0.0/8')")) == "accepted");  // caddy 2.6.2's option
  CHECK(refusal(Json{{"expr", "path('/')"}, {"name", "n"}}) == "accepted");
  CHECK(refusal(Json(5)).find("expected a CEL expression") != std::string::npos);
}
