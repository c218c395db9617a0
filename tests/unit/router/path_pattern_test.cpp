// The path matcher's per-pattern flags, found once for a literal pattern (at provision time)
// and per request for one with placeholders; both must pick the same mode.
#include "router/path_pattern.h"

#include <catch2/catch.hpp>

#include "router/matchers.h"

using gatehouse::config::Json;
using gatehouse::router::compileMatcherSet;
using gatehouse::router::PathPattern;
using gatehouse::runtime::Exchange;

TEST_CASE("path pattern flags: which mode a pattern takes") {
  const PathPattern all("*");
  CHECK(all.any);
  CHECK_FALSE(all.keepSlashes);
  CHECK_FALSE(all.escaped);

  const PathPattern plain("/static/*");
  CHECK_FALSE(plain.any);
  CHECK_FALSE(plain.keepSlashes);
  CHECK_FALSE(plain.escaped);
  CHECK(plain.escapedGlob.empty());
  CHECK_FALSE(PathPattern("**").any);
  CHECK_FALSE(PathPattern("/a/*").any);

  const PathPattern slashes("//legacy/*");
  CHECK(slashes.keepSlashes);
  CHECK_FALSE(slashes.escaped);
  CHECK(PathPattern("/old//*").keepSlashes);
  CHECK_FALSE(PathPattern("/a/b/").keepSlashes);

  const PathPattern escaped("/a%2fb");
  CHECK(escaped.escaped);
  CHECK_FALSE(escaped.keepSlashes);
  CHECK(escaped.text == "/a%2fb");
  CHECK(escaped.escapedGlob == "/a%2fb");

  const PathPattern both("//x/%2f");
  CHECK(both.escaped);
  CHECK(both.keepSlashes);
}

TEST_CASE("path pattern flags: an escaped pattern's glob has \"%*\" as \"*\"") {
  CHECK(PathPattern("/w/%*/end").escapedGlob == "/w/*/end");
  CHECK(PathPattern("/u%40*").escapedGlob == "/u%40*");
  CHECK(PathPattern("/a%*%*").escapedGlob == "/a**");
  CHECK(PathPattern("/x%").escapedGlob == "/x%");  // a '%' at the end stays
}

namespace {
Exchange request(const std::string& rawPath, const std::string& path, const std::string& patternHeader) {
  Exchange ex;
  ex.request.method = "GET";
  ex.request.host = "example.com";
  ex.request.path = path;
  ex.request.rawPath = rawPath;
  ex.request.headers.add("X-Pattern", patternHeader);
  return ex;
}

// The same pattern written literally and rendered from a placeholder.
void checkBothWays(const std::string& pattern, const std::string& rawPath, const std::string& path,
                   bool want) {
  INFO(pattern << " vs " << rawPath);
  auto ex = request(rawPath, path, pattern);
  const Json literal = {{"path", Json::array({pattern})}};
  CHECK(compileMatcherSet(literal, "m").match(ex) == want);
  const Json placeheld = Json::parse(R"({"path": ["{http.request.header.X-Pattern}"]})");
  CHECK(compileMatcherSet(placeheld, "m").match(ex) == want);
}
}  // namespace

TEST_CASE("path matcher: a literal pattern and the same one from a placeholder match alike") {
  checkBothWays("*", "/anything", "/anything", true);
  checkBothWays("/api/*", "/API/x", "/API/x", true);  // the path is lowered
  checkBothWays("//legacy/*", "//legacy/x", "//legacy/x", true);
  checkBothWays("//legacy/*", "/legacy/x", "/legacy/x", false);
  checkBothWays("/legacy/*", "//legacy/x", "//legacy/x", true);  // merged slashes
  checkBothWays("/a%2fb", "/a%2Fb", "/a/b", true);
  checkBothWays("/a%2fb", "/a/b", "/a/b", false);
  checkBothWays("/w/%*/end", "/w/a%2Fb/end", "/w/a/b/end", true);
  checkBothWays("/w/%*/end", "/w/a/b/end", "/w/a/b/end", false);
}

// Caddy lowers a pattern at provision, before placeholders are expanded: what a placeholder
// brings in keeps its case (found by match_fuzz.py: "*/{path.0}" and /Upper.TXT).
TEST_CASE("path matcher: a placeholder's value in a pattern is not lowered") {
  auto ex = request("/api/x", "/api/x", "/API/*");
  CHECK(compileMatcherSet(Json{{"path", Json::array({"/API/*"})}}, "m").match(ex));
  CHECK_FALSE(
      compileMatcherSet(Json::parse(R"({"path": ["{http.request.header.X-Pattern}"]})"), "m").match(ex));
  // escapes too: the request's are lowered, "%2F" from a placeholder stays upper-case
  auto escaped = request("/a%2Fb", "/a/b", "/a%2Fb");
  CHECK(compileMatcherSet(Json{{"path", Json::array({"/a%2Fb"})}}, "m").match(escaped));
  CHECK_FALSE(
      compileMatcherSet(Json::parse(R"({"path": ["{http.request.header.X-Pattern}"]})"), "m").match(escaped));
  auto upper = request("/Upper.TXT", "/Upper.TXT", "");
  CHECK_FALSE(
      compileMatcherSet(Json::parse(R"({"path": ["*/{http.request.uri.path.0}"]})"), "m").match(upper));
  auto lower = request("/upper.txt", "/upper.txt", "");
  CHECK(compileMatcherSet(Json::parse(R"({"path": ["*/{http.request.uri.path.0}"]})"), "m").match(lower));
}
