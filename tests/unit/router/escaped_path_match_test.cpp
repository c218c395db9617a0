// Caddy 2.6.2's path matcher modes for patterns with '%' escapes and with "//" (compared
// with caddy in compat `matcher_path_escapes`).
#include "router/escaped_path_match.h"

#include <catch2/catch.hpp>

using gatehouse::router::cleanRequestPath;
using gatehouse::router::PathPattern;

namespace {
bool matchEscapedPathPattern(const char* pattern, std::string_view escapedPath) {
  return gatehouse::router::matchEscapedPathPattern(PathPattern(pattern), escapedPath);
}
}  // namespace

TEST_CASE("path matcher: cleaning keeps repeated slashes only when asked") {
  CHECK(cleanRequestPath("//a/./b//c/", true) == "/a/b/c/");
  CHECK(cleanRequestPath("//a/./b//c/", false) == "//a/b//c/");
  CHECK(cleanRequestPath("/a//../b", false) == "/a/b");
  CHECK(cleanRequestPath("/", false) == "/");
}

TEST_CASE("path matcher: escapes in a pattern compare in escaped space") {
  CHECK(matchEscapedPathPattern("/a%2fb", "/a%2Fb"));  // hex case folded
  CHECK_FALSE(matchEscapedPathPattern("/a%2fb", "/a/b"));
  CHECK_FALSE(matchEscapedPathPattern("/a%2fb", "/A%2Fb"));  // plain characters are not
  CHECK(matchEscapedPathPattern("/e%41c", "/e%41c"));
  CHECK_FALSE(matchEscapedPathPattern("/e%41c", "/eAc"));
  // the walk stops where the pattern ends: a longer path still matches
  CHECK(matchEscapedPathPattern("/a%2fb", "/a%2Fb%2F..%2Fc"));
  CHECK(matchEscapedPathPattern("/a%2fb", "/a%2Fb/"));
}

TEST_CASE("path matcher: '%*' keeps its span escaped, '*' decodes it") {
  CHECK(matchEscapedPathPattern("/w/%*/end", "/w/a%2Fb/end"));
  CHECK_FALSE(matchEscapedPathPattern("/w/%*/end", "/w/a/b/end"));
  CHECK(matchEscapedPathPattern("/u%40*", "/u%40x"));
  CHECK_FALSE(matchEscapedPathPattern("/u%40*", "/u@x"));
  CHECK(matchEscapedPathPattern("/s*%20x", "/sab%20x"));
  CHECK(matchEscapedPathPattern("/s*%20x", "/s%20y%20x"));
  CHECK_FALSE(matchEscapedPathPattern("/s*%20x", "/s%20y"));
}
