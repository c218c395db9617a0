#include "gatehouse/parser/adapter.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "httptype/go_sort.h"
#include "httptype/net_addr.h"
#include "httptype/site_block.h"

using namespace gatehouse::parser;

namespace {

Token key(const std::string& text) {
  Token t;
  t.text = text;
  t.loc = Location{"Caddyfile", 1, 1, {}};
  return t;
}

}  // namespace

TEST_CASE("site addresses parse into scheme, host, port and path") {
  Address a = parseAddress(key("https://Example.COM:8443/api"));
  CHECK(a.scheme == "https");
  CHECK(a.host == "example.com");
  CHECK(a.port == "8443");
  CHECK(a.path == "/api");

  Address b = parseAddress(key(":8080"));
  CHECK(b.host.empty());
  CHECK(b.port == "8080");

  Address c = parseAddress(key("[::1]:80"));
  CHECK(c.host == "::1");
  CHECK(c.port == "80");

  Address d = parseAddress(key("{env.HOST}.Example.com"));
  CHECK(d.host == "{env.HOST}.example.com");

  CHECK_THROWS_WITH(parseAddress(key(":70000")), Catch::Contains("port 70000 is out of range"));
  CHECK_THROWS_WITH(parseAddress(key(":-1")), Catch::Contains("port -1 is out of range"));
  CHECK_THROWS_WITH(parseAddress(key(":abc")), Catch::Contains("invalid port 'abc'"));
}

TEST_CASE("Go's SplitHostPort edge cases") {
  std::string h, p;
  CHECK(splitHostPort("example.com:80", h, p));
  CHECK(h == "example.com");
  CHECK_FALSE(splitHostPort("example.com", h, p));
  CHECK_FALSE(splitHostPort("a:b:c", h, p));
  CHECK(splitHostPort("[::]:443", h, p));
  CHECK(h == "::");
  CHECK(joinHostPort("::", "443") == "[::]:443");
  std::string canon, why;
  REQUIRE(canonicalNetworkAddress("tcp6/[::]:443", canon, why));
  CHECK(canon == "tcp6/[::]:443");
  REQUIRE(canonicalNetworkAddress(":443", canon, why));
  CHECK(canon == ":443");
  REQUIRE(canonicalNetworkAddress("fd/3", canon, why));
  CHECK(canon == "fd/3");
}

TEST_CASE("sliceStable keeps equal elements in input order") {
  std::vector<std::pair<int, char>> v;
  for (int i = 0; i < 50; ++i) {
    v.emplace_back(i % 3, static_cast<char>('a' + i % 26));
  }
  auto expect = v;
  std::stable_sort(expect.begin(), expect.end(), [](auto& a, auto& b) { return a.first < b.first; });
  gosort::sliceStable(v, [](const auto& a, const auto& b) { return a.first < b.first; });
  CHECK(v == expect);
}

TEST_CASE("a simple site adapts to one server with a host-matched subroute") {
  auto result = adaptCaddyfile("example.com {\n\tbind 127.0.0.1\n}\n", "Caddyfile");
  REQUIRE(result.config.http.has_value());
  REQUIRE(result.config.http->servers.size() == 1);
  const auto& srv = result.config.http->servers.front().second;
  CHECK(srv.listen == std::vector<std::string>{"127.0.0.1:443"});
  REQUIRE(srv.routes.size() == 1);
  CHECK(srv.routes[0].terminal);
  CHECK(srv.routes[0].match[0]["host"] == gatehouse::config::Json::array({"example.com"}));
}

TEST_CASE("adapter errors name the offending site") {
  CHECK_THROWS_WITH(adaptCaddyfile(":8080 {\n}\n:8080 {\n}\n", "Caddyfile"),
                    Catch::Contains("ambiguous site definition: :8080"));
  CHECK_THROWS_WITH(adaptCaddyfile("wss://example.com {\n}\n", "Caddyfile"),
                    Catch::Contains("the scheme wss:// is only supported in browsers"));
  CHECK_THROWS_WITH(adaptCaddyfile("bind\n", "Caddyfile"),
                    Catch::Contains("parsed 'bind' as a site address, but it is a known directive"));
}

namespace {

std::string adaptError(const std::string& caddyfile) {
  try {
    adaptCaddyfile(caddyfile, "Caddyfile");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Messages compared with `caddy adapt` (2.6.2) on the same text; gatehouse adds the column.
TEST_CASE("a bad site key is named by block, key and text as caddy 2.6.2 names it") {
  CHECK(adaptError("a.test {\n}\nexample.com:abc {\n}\n") ==
        "Caddyfile:3:1: server block 1, key 0 (example.com:abc): determining listener address: parsing key: "
        "invalid port 'abc': strconv.Atoi: parsing \"abc\": invalid syntax");
  CHECK(adaptError("a.test {\n}\na.com, example.com:99999 {\n}\n") ==
        "Caddyfile:3:8: server block 1, key 1 (example.com:99999): determining listener address: parsing "
        "key: port 99999 is out of range");
  // A directive's error in a later block comes first: 2.6.2 runs every block's directives
  // before it maps keys to listeners.
  CHECK(adaptError("example.com:abc {\n}\nb.test {\n\trespond\n}\n") ==
        "Caddyfile:4:2: parsing caddyfile tokens for 'respond': wrong argument count or unexpected line "
        "ending after 'respond'");
}

TEST_CASE("log roll_size and unknown directives: caddy 2.6.2's wording, near-miss hints only") {
  // humanize.ParseBytes's error, as 2.6.2 prints it (gatehouse printed the value back).
  CHECK(adaptError(":80 {\n\tlog {\n\t\toutput file /tmp/a.log {\n\t\t\troll_size x\n\t\t}\n\t}\n}\n") ==
        "Caddyfile:4:14: parsing caddyfile tokens for 'log': parsing size: strconv.ParseFloat: parsing \"\": "
        "invalid syntax");
  // 2.6.2 names the unknown directive only; gatehouse adds a hint for a near miss of a
  // directive, never for a name too short to tell ("*" was told "fs", "bob" "log").
  CHECK(adaptError(":80 {\n\trespnd hi\n}\n") ==
        "Caddyfile:2:2: unrecognized directive: respnd\nDid you mean 'respond'?");
  CHECK(adaptError(":80 {\n\t*\n}\n") == "Caddyfile:2:2: unrecognized directive: *");
  CHECK(adaptError(":80 {\n\tbob\n}\n") == "Caddyfile:2:2: unrecognized directive: bob");
}

TEST_CASE("the order option reads a block after before/after as more statements, as caddy 2.6.2") {
  // `{ abort first }` after the anchor moves abort too (2.6.2's loop takes '{' for the
  // option name); a first/last statement ends the option, so its block is not read.
  auto routes = [](const std::string& option) {
    auto result = adaptCaddyfile("{\n\t" + option + "\n}\n:80 {\n\tabort /x\n\trespond hi\n}\n", "Caddyfile");
    std::vector<std::string> names;
    for (const auto& r : result.config.http->servers.front().second.routes) {
      names.push_back(r.handle.front().fields.contains("abort") ? "abort" : "respond");
    }
    return names;
  };
  CHECK(routes("order respond before file_server {\n\t\tabort first\n\t}") ==
        std::vector<std::string>{"abort", "respond"});
  CHECK(routes("order respond first {\n\t\tabort last\n\t}") == std::vector<std::string>{"respond", "abort"});
  CHECK(adaptError("{\n\torder respond before file_server {\n\t}\n}\n:80 {\n}\n") ==
        "Caddyfile:3:2: parsing caddyfile tokens for 'order': } is not a registered directive");
}
