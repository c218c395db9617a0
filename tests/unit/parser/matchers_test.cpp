#include "gatehouse/parser/matchers.h"

#include <catch2/catch.hpp>
#include <string>

#include "gatehouse/parser/lexer.h"

using gatehouse::config::Json;
using gatehouse::parser::ConfigError;
using gatehouse::parser::Dispenser;
using gatehouse::parser::MatcherDefs;
using gatehouse::parser::tokenize;

namespace {

// Parses every definition in `text` (one per segment, as the adapter hands them over).
MatcherDefs define(const std::string& text) {
  MatcherDefs defs;
  Dispenser all(tokenize(text, "Caddyfile"));
  while (all.next()) {
    Dispenser seg = all.newFromNextSegment();
    gatehouse::parser::parseMatcherDefinition(seg, defs);
  }
  return defs;
}

Json defined(const std::string& text, const std::string& name) {
  return define(text).at(name);
}

std::string defineError(const std::string& text) {
  try {
    define(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("single-line and block definitions") {
  CHECK(defined("@a path /a /b", "@a") == Json::parse(R"({"path":["/a","/b"]})"));
  CHECK(defined("@a {\n method GET\n}", "@a") == Json::parse(R"({"method":["GET"]})"));
  CHECK(defined("@a not method PUT", "@a") == Json::parse(R"({"not":[{"method":["PUT"]}]})"));
  CHECK(defined("@a {\n path /x\n host example.com\n}", "@a") ==
        Json::parse(R"({"host":["example.com"],"path":["/x"]})"));
  CHECK(defined("@a", "@a") == Json::object());
}

TEST_CASE("a matcher repeated in one definition merges as Caddy's does") {
  CHECK(defined("@a {\n path /a\n path /b\n}", "@a") == Json::parse(R"({"path":["/a","/b"]})"));
  CHECK(defined("@m {\n header Foo bar\n header Foo foobar\n header Bar foo\n}", "@m") ==
        Json::parse(R"({"header":{"Bar":["foo"],"Foo":["bar","foobar"]}})"));
  CHECK(defined("@m {\n query foo=bar foo=baz bar=foo\n query bar=baz\n}", "@m") ==
        Json::parse(R"({"query":{"bar":["foo","baz"],"foo":["bar","baz"]}})"));
  CHECK(defined("@m {\n header !Foo\n header Bar foo\n}", "@m") ==
        Json::parse(R"({"header":{"Bar":["foo"],"Foo":null}})"));
  CHECK(defined("@m {\n remote_ip 1.1.1.1\n remote_ip 2.2.2.2\n}", "@m") ==
        Json::parse(R"({"remote_ip":{"ranges":["1.1.1.1","2.2.2.2"]}})"));
  // caddy 2.6.2 still takes `forwarded` (removed in 2.7); `caddy adapt` puts it after ranges.
  CHECK(defined("@m remote_ip forwarded 10.0.0.0/8", "@m").dump() ==
        R"({"remote_ip":{"ranges":["10.0.0.0/8"],"forwarded":true}})");
  // ... but only before any range, on any line of the definition (caddy 2.6.2's message).
  CHECK_THAT(defineError("@m {\n remote_ip 10.0.0.0/8\n remote_ip forwarded\n}"),
             Catch::Contains("Caddyfile:3:12: if used, 'forwarded' must be first argument"));
  CHECK_THAT(defineError("@m remote_ip private_ranges forwarded"),
             Catch::Contains("if used, 'forwarded' must be first argument"));
  CHECK(defined("@m {\n not path /a\n not path /b\n}", "@m") ==
        Json::parse(R"({"not":[{"path":["/a"]},{"path":["/b"]}]})"));
  CHECK(defined("@m {\n protocol http\n protocol https\n}", "@m") == Json::parse(R"({"protocol":"https"})"));
}

TEST_CASE("header field names are canonicalized, negated ones are not") {
  CHECK(defined("@h header content-type text/*", "@h") ==
        Json::parse(R"({"header":{"Content-Type":["text/*"]}})"));
  CHECK(defined("@h header !x-foo", "@h") == Json::parse(R"({"header":{"x-foo":null}})"));
}

TEST_CASE("not blocks merge their lines into one set") {
  CHECK(defined("@t {\n not {\n  header Abc \"123\"\n  header Bcd \"123\"\n }\n}", "@t") ==
        Json::parse(R"({"not":[{"header":{"Abc":["123"],"Bcd":["123"]}}]})"));
  // Nested regexps get no default name.
  CHECK(defined("@t not path_regexp ^/x", "@t") ==
        Json::parse(R"({"not":[{"path_regexp":{"pattern":"^/x"}}]})"));
}

TEST_CASE("regexp matchers default to the definition's name") {
  CHECK(defined("@match path_regexp ^/foo(.*)$", "@match") ==
        Json::parse(R"({"path_regexp":{"name":"match","pattern":"^/foo(.*)$"}})"));
  CHECK(defined("@m path_regexp other ^/foo", "@m") ==
        Json::parse(R"({"path_regexp":{"name":"other","pattern":"^/foo"}})"));
  CHECK(defined("@m header_regexp X-A ^a", "@m") ==
        Json::parse(R"({"header_regexp":{"X-A":{"name":"m","pattern":"^a"}}})"));
  CHECK(defined("@m5 vars_regexp static \"{http.request.uri}\" `\\.(css|js)$`", "@m5") ==
        Json::parse(R"({"vars_regexp":{"{http.request.uri}":{"name":"static","pattern":"\\.(css|js)$"}}})"));
  CHECK(defined("@m6 vars_regexp \"{http.request.uri}\" x", "@m6") ==
        Json::parse(R"({"vars_regexp":{"{http.request.uri}":{"name":"m6","pattern":"x"}}})"));
}

TEST_CASE("vars, ip ranges, file and url_pattern") {
  CHECK(defined("@v vars \"{http.request.uri}\" \"/vars-matcher\"", "@v") ==
        Json::parse(R"({"vars":{"{http.request.uri}":["/vars-matcher"]}})"));
  CHECK(defined("@p client_ip private_ranges", "@p") ==
        Json::parse(R"({"client_ip":{"ranges":["192.168.0.0/16","172.16.0.0/12","10.0.0.0/8",
                      "127.0.0.1/8","fd00::/8","::1"]}})"));
  CHECK(defined("@f file {\n try_files {path} /index.php\n split_path .php\n}", "@f") ==
        Json::parse(R"({"file":{"try_files":["{path}","/index.php"],"split_path":[".php"]}})"));
  CHECK(defined("@f file /a /b {\n root /srv\n try_policy largest_size\n}", "@f") ==
        Json::parse(R"({"file":{"root":"/srv","try_files":["/a","/b"],"try_policy":"largest_size"}})"));
  CHECK(defined("@f file", "@f") == Json::parse(R"({"file":{}})"));
  CHECK(
      defined("@s url_pattern /api/:v/* {\n base_url https://example.com\n ignore_case\n}", "@s") ==
      Json::parse(
          R"({"url_pattern":{"pattern":"/api/:v/*","base_url":"https://example.com","ignore_case":true}})"));
  CHECK(defined("@t tls early_data", "@t") == Json::parse(R"({"tls":{"handshake_complete":false}})"));
}

TEST_CASE("expression forms") {
  CHECK(defined("@a expression {http.error.status_code} == 400", "@a") ==
        Json::parse(R"({"expression":"{http.error.status_code} == 400"})"));
  CHECK(defined("@b expression {http.error.status_code} == \"401\"", "@b") ==
        Json::parse(R"({"expression":"{http.error.status_code} == \"401\""})"));
  CHECK(defined("@c expression {http.error.status_code} == `402`", "@c") ==
        Json::parse(R"({"expression":"{http.error.status_code} == `402`"})"));
  CHECK(defined("@d expression \"{http.error.status_code} == 403\"", "@d") ==
        Json::parse(R"({"expression":{"expr":"{http.error.status_code} == 403","name":"d"}})"));
  CHECK(defined("@f `path('/foo*') && method('GET')`", "@f") ==
        Json::parse(R"J({"expression":{"expr":"path('/foo*') && method('GET')","name":"f"}})J"));
  // caddy 2.6.2 reads every expression line of a definition: the last one counts, and a lone
  // `expression` is its own expression (2.6.2's CEL compiler refuses it at provisioning).
  CHECK(defined("@g {\n expression \"a\"\n expression \"b\"\n}", "@g") ==
        Json::parse(R"({"expression":{"expr":"b","name":"g"}})"));
  CHECK(defined("@h {\n expression a == 1\n expression\n}", "@h") ==
        Json::parse(R"({"expression":{"expr":"expression","name":"h"}})"));
}

TEST_CASE("definition errors carry Caddy's wording") {
  CHECK_THAT(defineError("@a path /a\n@a path /b"),
             Catch::Contains("Caddyfile:2:1: matcher is defined more than once: @a"));
  CHECK_THAT(defineError("@a bogus x"),
             Catch::Contains("getting matcher module 'bogus': module not registered: http.matchers.bogus"));
  CHECK_THAT(defineError("@a {\n path_regexp ^a\n path_regexp ^b\n}"),
             Catch::Contains("Caddyfile:3:2: regular expression can only be used once per named matcher"));
  CHECK_THAT(
      defineError("@a {\n header_regexp X ^a\n header_regexp X ^b\n}"),
      Catch::Contains("header_regexp matcher can only be used once per named matcher, per header field: X"));
  CHECK_THAT(defineError("@a header Foo"),
             Catch::Contains("malformed header matcher: expected both field and value"));
  CHECK_THAT(defineError("@a header !"),
             Catch::Contains("malformed header matcher: must have field name following ! character"));
  CHECK_THAT(defineError("@a query foo"),
             Catch::Contains("malformed query matcher token: foo; must be in param=val format"));
  CHECK_THAT(defineError("@a path /a {\n x\n}"),
             Catch::Contains("malformed path matcher: blocks are not supported"));
  CHECK_THAT(defineError("@a vars x"),
             Catch::Contains("malformed vars matcher: expected at least one value to match against"));
  CHECK_THAT(defineError("@a protocol"), Catch::Contains("expected exactly one protocol"));
  CHECK_THAT(defineError("@a file {\n bogus\n}"), Catch::Contains("unrecognized subdirective: bogus"));
  CHECK_THAT(defineError("@a not bogus"),
             Catch::Contains("getting matcher module 'bogus': module not registered: http.matchers.bogus"));
}

TEST_CASE("inline matcher tokens") {
  MatcherDefs defs = define("@x method GET");
  std::optional<Json> out;
  auto tok = [](const std::string& text) { return tokenize(text, "Caddyfile").front(); };

  CHECK(gatehouse::parser::matcherSetFromToken(tok("*"), defs, out));
  CHECK_FALSE(out.has_value());
  CHECK(gatehouse::parser::matcherSetFromToken(tok("/api/*"), defs, out));
  CHECK(*out == Json::parse(R"({"path":["/api/*"]})"));
  CHECK(gatehouse::parser::matcherSetFromToken(tok("@x"), defs, out));
  CHECK(*out == Json::parse(R"({"method":["GET"]})"));
  CHECK_FALSE(gatehouse::parser::matcherSetFromToken(tok("example.com"), defs, out));
  CHECK_THROWS_WITH(gatehouse::parser::matcherSetFromToken(tok("@nope"), defs, out),
                    Catch::Contains("unrecognized matcher name: @nope"));
}

TEST_CASE("parseMatcherModule merges into an existing set") {
  Json set = Json::parse(R"({"path":["/a"]})");
  Dispenser d(tokenize("path /b", "Caddyfile"));
  d.next();
  gatehouse::parser::parseMatcherModule("path", d, set);
  CHECK(set == Json::parse(R"({"path":["/a","/b"]})"));
}

TEST_CASE("response matchers") {
  auto parse = [](const std::string& text) {
    Dispenser d(tokenize(text, "Caddyfile"));
    return gatehouse::parser::parseResponseMatcher(d);
  };
  CHECK(parse("@all status 2xx 3xx 404") == Json::parse(R"({"status_code":[2,3,404]})"));
  CHECK(parse("@a header X-Accel-Redirect *") == Json::parse(R"({"headers":{"X-Accel-Redirect":["*"]}})"));
  CHECK_THROWS_WITH(parse("match {\n header Foo\n}"),
                    Catch::Contains("malformed header matcher: expected both field and value"));
  CHECK(parse("match {\n status 200 201\n header content-type text/*\n}") ==
        Json::parse(R"({"status_code":[200,201],"headers":{"Content-Type":["text/*"]}})"));
  CHECK_THROWS_WITH(parse("@a status abc"),
                    Catch::Contains("bad status value 'abc': strconv.Atoi: parsing \"abc\": invalid syntax"));
  CHECK_THROWS_WITH(parse("@a bogus"), Catch::Contains("unrecognized response matcher bogus"));
}
