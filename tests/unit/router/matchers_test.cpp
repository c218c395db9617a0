#include "router/matchers.h"

#include <catch2/catch.hpp>

#include "provision/provision_error.h"
#include "router/placeholders.h"

using gatehouse::config::Json;
using gatehouse::router::compileMatcherSet;
using gatehouse::runtime::Exchange;

namespace {
Exchange request(const std::string& method, const std::string& host, const std::string& path,
                 const std::string& query = "") {
  Exchange ex;
  ex.request.method = method;
  ex.request.host = host;
  ex.request.path = path;
  ex.request.rawPath = path;
  ex.request.query = query;
  ex.request.hasQuery = !query.empty();
  ex.request.remoteIp = "10.1.2.3";
  ex.request.remotePort = 5555;
  return ex;
}

bool matches(const char* set, Exchange& ex) {
  return compileMatcherSet(Json::parse(set), "m").match(ex);
}
}  // namespace

TEST_CASE("path matcher: exact, prefix, suffix, substring, glob, case-insensitive") {
  struct Case {
    const char* pattern;
    const char* path;
    bool want;
  };
  const Case cases[] = {
      {"/foo", "/foo", true},        {"/foo", "/foo/", false},      {"/foo", "/FOO", true},
      {"/foo*", "/foobar", true},    {"/foo/*", "/foo", false},     {"/foo/*", "/foo/", true},
      {"*.php", "/a/b.php", true},   {"*.php", "/a/b.php. ", true}, {"*.php", "/a/b.html", false},
      {"*bar*", "/foo/bar/x", true}, {"/a/*/c", "/a/b/c", true},    {"/a/*/c", "/a/b/x/c", false},
      {"/*/v1/*", "/x/v1/b", true},  {"/*/v1/*", "/x/v2/b", false}, {"*/v1/*.txt", "/a/v1/b.txt", false},
      {"/a*/b*", "/ax/bz", true},    {"/a*/b*", "/ax/c/bz", false}, {"*a/*", "/xa/y", true},
      {"/a//b", "/a/b", false},      {"/x/*", "/x/../y", false},    {"/b*", "//b", true},
      {"*", "/anything", true},      {"/f?o", "/fxo", true},        {"/[a-c]x", "/bx", true},
  };
  for (const auto& c : cases) {
    INFO(c.pattern << " vs " << c.path);
    auto ex = request("GET", "example.com", c.path);
    std::string set = std::string(R"({"path": [")") + c.pattern + R"("]})";
    CHECK(matches(set.c_str(), ex) == c.want);
  }
}

TEST_CASE("host matcher: case, port, wildcard labels") {
  auto ex = request("GET", "Sub.Example.com:8080", "/");
  CHECK(matches(R"({"host": ["sub.example.com"]})", ex));
  CHECK(matches(R"({"host": ["*.example.com"]})", ex));
  CHECK_FALSE(matches(R"({"host": ["*.com"]})", ex));
  CHECK_FALSE(matches(R"({"host": ["example.com"]})", ex));
  auto v6 = request("GET", "[::1]:443", "/");
  CHECK(matches(R"({"host": ["::1"]})", v6));
  // A repeated host is a config error, compared without case (caddy 2.6.2's words; two
  // `host` lines of one named matcher add up to such a list).
  CHECK_THROWS_WITH(compileMatcherSet(Json::parse(R"({"host": ["A.com", "b.com", "a.com"]})"), "m"),
                    Catch::Contains("host at index 0 is repeated at index 2: a.com"));
}

TEST_CASE("matcher sets AND their matchers") {
  auto ex = request("POST", "a.test", "/api/x");
  CHECK(matches(R"({"host": ["a.test"], "path": ["/api/*"], "method": ["POST"]})", ex));
  CHECK_FALSE(matches(R"({"host": ["a.test"], "method": ["GET"]})", ex));
}

TEST_CASE("header matcher: presence, absence, wildcards") {
  auto ex = request("GET", "a", "/");
  ex.request.headers.add("X-Token", "abc123");
  CHECK(matches(R"({"header": {"X-Token": ["abc*"]}})", ex));
  CHECK(matches(R"({"header": {"x-token": ["*123"]}})", ex));
  CHECK(matches(R"({"header": {"X-Token": ["*c1*"]}})", ex));
  CHECK(matches(R"({"header": {"X-Token": []}})", ex));
  CHECK_FALSE(matches(R"({"header": {"X-Token": null}})", ex));
  CHECK(matches(R"({"header": {"X-Other": null}})", ex));
  CHECK_FALSE(matches(R"({"header": {"X-Token": ["nope"]}})", ex));
  CHECK(matches(R"({"header": {"Host": ["a"]}})", ex));
}

TEST_CASE("path_regexp and header_regexp record captures") {
  auto ex = request("GET", "a", "/users/42/edit");
  CHECK(matches(R"J({"path_regexp": {"name": "u", "pattern": "^/users/(?P<id>\\d+)"}})J", ex));
  gatehouse::router::Template t("{http.regexp.u.1}-{http.regexp.u.id}-{http.regexp.id}");
  CHECK(t.render(ex) == "42-42-42");
  ex.request.headers.add("Cookie", "session=xyz");
  CHECK(matches(R"J({"header_regexp": {"Cookie": {"name": "c", "pattern": "session=(\\w+)"}}})J", ex));
  CHECK(gatehouse::router::Template("{http.regexp.c.1}").render(ex) == "xyz");
}

TEST_CASE("query, protocol, remote_ip, not, vars") {
  auto ex = request("GET", "a", "/", "q=1&x=a+b");
  CHECK(matches(R"({"query": {"q": ["1"]}})", ex));
  CHECK(matches(R"({"query": {"x": ["a b"]}})", ex));
  CHECK(matches(R"({"query": {"q": ["*"]}})", ex));
  CHECK_FALSE(matches(R"({"query": {"z": ["*"]}})", ex));
  CHECK(matches(R"({"query": {"q": ["1"], "x": ["a b"]}})", ex));  // keys AND
  CHECK_FALSE(matches(R"({"query": {"q": ["1"], "z": ["*"]}})", ex));
  auto rep = request("GET", "a", "/", "t=1&t=2");
  CHECK(matches(R"({"query": {"t": ["2"]}})", rep));  // any value of a repeated key
  CHECK_FALSE(matches(R"({"query": {}})", ex));
  // a ';' anywhere makes Go's ParseQuery fail: 2.6.2's query matcher then matches nothing
  auto semi = request("GET", "a", "/", "q=1;x=2");
  CHECK_FALSE(matches(R"({"query": {"q": ["*"]}})", semi));
  auto semi2 = request("GET", "a", "/", "q=1&x=a;b");
  CHECK_FALSE(matches(R"({"query": {"q": ["1"]}})", semi2));
  auto noq = request("GET", "a", "/");
  CHECK(matches(R"({"query": {}})", noq));

  CHECK(matches(R"({"protocol": "http"})", ex));
  CHECK_FALSE(matches(R"({"protocol": "https"})", ex));
  CHECK(matches(R"({"protocol": "http/1.1"})", ex));
  CHECK_FALSE(matches(R"({"protocol": "http/1"})", ex));  // unknown: taken, never matches
  CHECK_FALSE(matches(R"({"protocol": "foo"})", ex));

  CHECK(matches(R"({"remote_ip": {"ranges": ["10.0.0.0/8"]}})", ex));
  CHECK(matches(R"({"client_ip": {"ranges": ["10.1.2.3"]}})", ex));
  CHECK_FALSE(matches(R"({"remote_ip": {"ranges": ["192.168.0.0/16", "::1"]}})", ex));

  CHECK(matches(R"({"not": [{"path": ["/admin*"]}]})", ex));
  CHECK_FALSE(matches(R"({"not": [{"path": ["/x"]}, {"method": ["GET"]}]})", ex));

  ex.setVar("role", "admin");
  CHECK(matches(R"({"vars": {"role": ["user", "admin"]}})", ex));
  CHECK(matches(R"({"vars": {"{http.request.method}": ["GET"]}})", ex));
  CHECK_FALSE(matches(R"({"vars": {"role": ["user"]}})", ex));
}

TEST_CASE("vars matcher: a missing value compares as Go's <nil>, not as empty") {
  auto ex = request("GET", "a", "/");
  CHECK_FALSE(matches(R"({"vars": {"unset": [""]}})", ex));
  CHECK(matches(R"({"vars": {"unset": ["<nil>"]}})", ex));
  CHECK_FALSE(matches(R"({"vars": {"{http.vars.unset}": [""]}})", ex));
  CHECK(matches(R"({"vars": {"{http.vars.unset}": ["<nil>"]}})", ex));
  CHECK(matches(R"({"vars": {"{no.such.placeholder}": ["<nil>"]}})", ex));
  CHECK(matches(R"({"vars": {"{http.request.uri.query}": [""]}})", ex));  // known, empty
  ex.setVar("empty", "");
  CHECK(matches(R"({"vars": {"empty": [""]}})", ex));
  CHECK(matches(R"({"vars": {"{http.vars.empty}": [""]}})", ex));
}

TEST_CASE("unknown or malformed matchers stop provisioning with the JSON path") {
  using gatehouse::provision::ProvisionError;
  CHECK_THROWS_WITH(compileMatcherSet(Json::parse(R"({"tls": {}})"), "routes[0].match[0]"),
                    Catch::Contains("routes[0].match[0].tls: matcher 'tls' is not supported yet"));
  CHECK_THROWS_WITH(
      compileMatcherSet(Json::parse(R"({"expression": "1"})"), "routes[0].match[0]"),
      Catch::Contains("routes[0].match[0].expression: CEL request matcher expects return type of bool"));
  CHECK_THROWS_AS(compileMatcherSet(Json::parse(R"({"path_regexp": {"pattern": "("}})"), "m"),
                  ProvisionError);
  CHECK_THROWS_AS(compileMatcherSet(Json::parse(R"({"remote_ip": {"ranges": ["nope"]}})"), "m"),
                  ProvisionError);
}

TEST_CASE("placeholders render request fields") {
  auto ex = request("GET", "example.com:8443", "/a/b.txt", "k=v");
  ex.request.headers.add("User-Agent", "t/1");
  using gatehouse::router::Template;
  CHECK(Template("{http.request.host}|{http.request.hostport}|{http.request.port}").render(ex) ==
        "example.com|example.com:8443|8443");
  CHECK(Template("{http.request.uri}|{http.request.uri.path}|{http.request.uri.query}").render(ex) ==
        "/a/b.txt?k=v|/a/b.txt|k=v");
  CHECK(Template("{http.request.uri.path.file}|{http.request.uri.path.dir}|{http.request.uri.path.0}")
            .render(ex) == "b.txt|/a/|a");
  CHECK(Template("{http.request.header.user-agent}|{http.request.remote.host}|{http.request.method}")
            .render(ex) == "t/1|10.1.2.3|GET");
  CHECK(Template("{http.request.uri.query.k}").render(ex) == "v");
  CHECK(Template("{nope}").render(ex) == "");
  CHECK(Template("{nope}").render(ex, Template::Unknown::Keep) == "{nope}");
  CHECK(Template(R"(\{literal\})").render(ex) == "{literal}");
  setenv("GATEHOUSE_TEST_ENV", "yes", 1);
  CHECK(Template("{env.GATEHOUSE_TEST_ENV}").render(ex) == "yes");
}
