#include <catch2/catch.hpp>

#include "handlers/go_expand.h"
#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

using gatehouse::config::Handler;
using gatehouse::config::Json;
using gatehouse::provision::ProvisionError;
using gatehouse::router::Template;
using gatehouse::runtime::Exchange;
using gatehouse::runtime::Outcome;
namespace h = gatehouse::handlers;

namespace {

Exchange request(const std::string& path) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.path = path;
  ex.request.rawPath = path;
  ex.request.host = "example.test";
  return ex;
}

std::string render(const std::string& tmpl, const Exchange& ex) {
  return Template(tmpl).render(ex, Template::Unknown::Keep);
}

Handler mapConfig() {
  return Handler{"map",
                 Json::parse(R"({
    "source": "{http.request.uri.path}",
    "destinations": ["{my}", "{other}"],
    "mappings": [
      {"input": "/a", "outputs": ["yes", "host={http.request.host}"]},
      {"input": "/n", "outputs": [null, 7]},
      {"input_regexp": "^/b/(?P<rest>.*)$", "outputs": ["b-${1}-$rest-$$-{x}", "w"]}
    ],
    "defaults": ["nothing"]
  })"),
                 {},
                 {}};
}

}  // namespace

TEST_CASE("map sets destinations from literal and regexp inputs", "[handlers][map]") {
  auto map = h::makeMap(mapConfig(), "p");
  Exchange a = request("/a");
  CHECK(map->handle(a) == Outcome::Continue);
  CHECK(render("{my}|{other}", a) == "yes|host=example.test");
  Exchange b = request("/b/c/d");
  map->handle(b);
  CHECK(render("{my}|{other}", b) == "b-c/d-c/d-$-{x}|w");  // regexp outputs expand captures only
  Exchange n = request("/n");
  map->handle(n);
  CHECK(render("{my}|{other}", n) == "nothing|7");  // null output: later mappings, then the default
  Exchange z = request("/zzz");
  map->handle(z);
  CHECK(render("[{my}]|[{other}]", z) == "[nothing]|[]");  // no default: known but empty
}

TEST_CASE("map provisioning checks destinations and outputs", "[handlers][map]") {
  auto err = [](const std::string& json) {
    try {
      h::makeMap(Handler{"map", Json::parse(json), {}, {}}, "m");
    } catch (const ProvisionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(err(R"({"source":"{path}","destinations":["x"]})") ==
        "m.destinations[0]: destination must be a placeholder and only a placeholder");
  CHECK(err(R"({"source":"{path}","destinations":["{x}"],"mappings":[{"input":"a","outputs":[]}]})") ==
        "m.mappings[0]: mapping has 0 outputs but there are 1 destinations defined");
  CHECK(
      err(R"({"destinations":["{x}"],"mappings":[{"input":"a","outputs":["1"]},{"input":"a","outputs":["2"]}]})") ==
      "m.mappings[1]: duplicate input 'a'");
  CHECK(err(R"({"destinations":["{x}"],"mappings":[{"input_regexp":"(","outputs":["1"]}]})")
            .starts_with("m.mappings[0].input_regexp: compiling regexp"));
}

TEST_CASE("error handler fails with its status and message", "[handlers][error]") {
  auto e = h::makeStaticError(
      Handler{"error", Json{{"error", "boom {http.request.uri.path}"}, {"status_code", 502}}, {}, {}}, "p");
  Exchange ex = request("/x");
  CHECK(e->handle(ex) == Outcome::Handled);
  CHECK(ex.response.status == 502);
  CHECK(ex.error.status == 502);
  CHECK(ex.error.message == "boom {http.request.uri.path}");  // verbatim, as caddy 2.6.2
  CHECK(ex.response.body.empty());
  auto dflt = h::makeStaticError(Handler{"error", Json{{"error", "x"}}, {}, {}}, "p");
  Exchange ex2 = request("/");
  dflt->handle(ex2);
  CHECK(ex2.response.status == 500);
  auto bad =
      h::makeStaticError(Handler{"error", Json{{"status_code", "{http.request.uri.path}"}}, {}, {}}, "p");
  Exchange ex3 = request("/abc");
  bad->handle(ex3);
  CHECK(ex3.response.status == 500);
  // Caddy's message for a status that is no number is strconv.Atoi's.
  CHECK(ex3.error.message == "strconv.Atoi: parsing \"/abc\": invalid syntax");
  auto fromQuery =
      h::makeStaticError(Handler{"error", Json{{"status_code", "{http.request.uri.query}"}}, {}, {}}, "p");
  Exchange ex4 = request("/");
  ex4.request.query = "+404";
  fromQuery->handle(ex4);
  CHECK(ex4.error.status == 404);  // Atoi takes a sign
}

TEST_CASE("request_body sets the body limit", "[handlers][request_body]") {
  auto rb = h::makeRequestBody(Handler{"request_body", Json{{"max_size", 10}}, {}, {}}, "p");
  Exchange ex = request("/");
  CHECK(rb->handle(ex) == Outcome::Continue);
  CHECK(ex.request.maxBodyBytes == 10);
  CHECK_THROWS_AS(h::makeRequestBody(Handler{"request_body", Json{{"max_size", -1}}, {}, {}}, "p"),
                  ProvisionError);
  CHECK_THROWS_AS(h::makeRequestBody(Handler{"request_body", Json{{"read_timeout", "1s"}}, {}, {}}, "p"),
                  ProvisionError);
}

TEST_CASE("Go's ReplaceAllString semantics for regexp replacements", "[handlers][go_expand]") {
  re2::RE2 re("prefix-(.*)");
  CHECK(h::goReplaceAll(re, "prefix-value", "new-$1") == "new-value");
  re2::RE2 digits("(?P<d>[0-9])");
  CHECK(h::goReplaceAll(digits, "a1b22", "<${d}>") == "a<1>b<2><2>");
  re2::RE2 star("x*");
  CHECK(h::goReplaceAll(star, "abxd", "-") == "-a-b-d-");  // Go's answer for this classic case
  CHECK(h::goReplaceAll(digits, "none", "$1") == "none");
}

TEST_CASE("rewrite builds the query as Caddy's buildQueryString", "[handlers][rewrite]") {
  auto rw = h::makeRewrite(
      Handler{
          "rewrite", Json{{"uri", "/t?{http.request.uri.query}&p={http.request.uri.path}&e={x}"}}, {}, {}},
      "p");
  Exchange ex = request("/a b&c=d");
  rw->handle(ex);
  CHECK(ex.request.path == "/t");
  // empty raw query leaves no '&'; values escaped; the unknown {x} is Go's %+v of nil
  CHECK(ex.request.query == "p=%2Fa+b%26c%3Dd&e=%3Cnil%3E");
  Exchange withQuery = request("/x");
  withQuery.request.query = "a=1&b=2";
  withQuery.request.hasQuery = true;
  rw->handle(withQuery);
  CHECK(withQuery.request.query == "a=1&b=2&p=%2Fx&e=%3Cnil%3E");
  auto keepPath = h::makeRewrite(Handler{"rewrite", Json{{"uri", "?only=1"}}, {}, {}}, "p");
  Exchange kp = request("/stay");
  keepPath->handle(kp);
  CHECK(kp.request.path == "/stay");
  CHECK(kp.request.query == "only=1");
}

TEST_CASE("rewrite: a '?' a placeholder brings into the path sets the query only after a bare '?'",
          "[handlers][rewrite]") {
  // Statamic's static cache: `rewrite @static {http.matchers.file.relative}` to a file named
  // "/static/blog?page=2_page=2.html". caddy 2.6.2 cuts the path at the '?' and keeps the
  // request's own query (measured: path /static/blog, query page=2).
  auto rw = h::makeRewrite(Handler{"rewrite", Json{{"uri", "{http.vars.to}"}}, {}, {}}, "p");
  Exchange ex = request("/blog");
  ex.request.query = "page=2";
  ex.request.hasQuery = true;
  ex.vars.emplace_back("to", "/static/blog?page=2_page=2.html");
  rw->handle(ex);
  CHECK(ex.request.path == "/static/blog");
  CHECK(ex.request.query == "page=2");
  // a template ending in a bare '?' takes the injected query (2.6.2's `query == ""` branch)
  auto bare = h::makeRewrite(Handler{"rewrite", Json{{"uri", "{http.vars.to}?"}}, {}, {}}, "p");
  Exchange b = request("/blog");
  b.request.query = "page=2";
  b.request.hasQuery = true;
  b.vars.emplace_back("to", "/x?a=1");
  bare->handle(b);
  CHECK(b.request.path == "/x");
  CHECK(b.request.query == "a=1");
}

TEST_CASE("rewrite re-escapes a new path as Go's URL.EscapedPath", "[handlers][rewrite]") {
  auto rw = h::makeRewrite(Handler{"rewrite", Json{{"uri", "/x{http.request.uri.path}"}}, {}, {}}, "p");
  Exchange spaced = request("/a b!c");
  spaced.request.rawPath = "/a%20b!c";
  rw->handle(spaced);
  CHECK(spaced.request.path == "/x/a b!c");
  CHECK(spaced.request.uri() == "/x/a%20b%21c");  // a placeholder's space and '!' read back escaped
  auto same = h::makeRewrite(Handler{"rewrite", Json{{"uri", "{http.request.uri.path}"}}, {}, {}}, "p");
  Exchange slash = request("/a/b");
  slash.request.rawPath = "/a%2Fb";
  same->handle(slash);
  CHECK(slash.request.uri() == "/a%2Fb");  // the received form still spells the path: kept
}

TEST_CASE("uri replace with a find that renders empty inserts as Go's strings.Replace",
          "[handlers][rewrite]") {
  // Caddy skips only a configured-empty find; one a placeholder empties matches before
  // every rune (Gatehouse looped forever on it).
  auto rw = h::makeRewrite(
      Handler{"rewrite",
              Json{{"uri_substring",
                    Json::array({Json{{"find", "{http.request.uri.query}"}, {"replace", "-"}}})}},
              {},
              {}},
      "p");
  Exchange ex = request("/ab");
  rw->handle(ex);
  CHECK(ex.request.path == "-/-a-b-");
  auto limited = h::makeRewrite(
      Handler{
          "rewrite",
          Json{{"uri_substring",
                Json::array({Json{{"find", "{http.request.uri.query}"}, {"replace", "-"}, {"limit", 2}}})}},
          {},
          {}},
      "p");
  Exchange two = request("/ab");
  limited->handle(two);
  CHECK(two.request.path == "-/-ab");
}

TEST_CASE("path_regexp replaces placeholders first, unknown ones with nothing", "[handlers][rewrite]") {
  auto rw = h::makeRewrite(
      Handler{"rewrite",
              Json{{"path_regexp", Json::array({Json{{"find", "(b)(c)"}, {"replace", "${1}-$2"}}})}},
              {},
              {}},
      "p");
  Exchange ex = request("/abc");
  rw->handle(ex);
  CHECK(ex.request.path == "/a$-c");  // {1} is an unknown placeholder to Caddy's replacer
}

TEST_CASE("rewrite query operations as Caddy 2.8: rename, set, add, replace, delete, sorted",
          "[handlers][rewrite]") {
  auto ops = Json::parse(R"({"rename":[{"key":"changethis","val":"changed"},{"key":"absent","val":"gone"}],
      "set":[{"key":"taz","val":"test"},{"key":"key=value","val":"ex ample"}],
      "add":[{"key":"foo","val":"bar"},{"key":"foo","val":"{http.request.uri.path}"}],
      "replace":[{"key":"findme","search_regexp":"v(al)ue","replace":"re$1"},{"key":"*","search":"x","replace":"y"}],
      "delete":["baz",""]})");
  auto rw = h::makeRewrite(Handler{"rewrite", Json{{"query", ops}}, {}, {}}, "p");
  Exchange ex = request("/p");
  ex.request.query = "z=1&baz=2&changethis=3&findme=value&foo=x&bad=%zz&semi=1;2&taz=old";
  ex.request.hasQuery = true;
  rw->handle(ex);
  // "*" reaches every key
  CHECK(ex.request.query == "changed=3&findme=real&foo=y&foo=bar&foo=%2Fp&key%3Dvalue=ey+ample&taz=test&z=1");
  CHECK(ex.request.path == "/p");
  auto del = h::makeRewrite(Handler{"rewrite", Json{{"query", {{"delete", {"a"}}}}}, {}, {}}, "p");
  Exchange only = request("/");
  only.request.query = "a=1";
  only.request.hasQuery = true;
  del->handle(only);
  CHECK(only.request.query.empty());
  CHECK_FALSE(only.request.hasQuery);
  CHECK_THROWS_AS(
      h::makeRewrite(Handler{"rewrite", Json{{"query", {{"shuffle", Json::array()}}}}, {}, {}}, "p"),
      ProvisionError);
}
