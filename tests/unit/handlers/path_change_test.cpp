// Caddy's strip_prefix/strip_suffix path edits on the escaped path.
#include <catch2/catch.hpp>

#include "handlers/path_change.h"

namespace h = gatehouse::handlers;

TEST_CASE("cleanPathSlashes merges slashes unless asked to keep them", "[handlers][rewrite]") {
  CHECK(h::cleanPathSlashes("//api//x/", true) == "/api/x/");
  CHECK(h::cleanPathSlashes("/a//b/../c", false) == "/a//c");
  CHECK(h::cleanPathSlashes("/a/./b", false) == "/a/b");
}

TEST_CASE("trimEscapedPrefix compares in decoded space unless the prefix escapes", "[handlers][rewrite]") {
  CHECK(h::trimEscapedPrefix("/api/x", "/api") == "/x");
  CHECK(h::trimEscapedPrefix("/API/x", "/api") == "/x");
  CHECK(h::trimEscapedPrefix("/%61pi/x", "/api") == "/x");
  CHECK(h::trimEscapedPrefix("/a%2Fb", "/a") == "%2Fb");
  CHECK(h::trimEscapedPrefix("/a%2Fb", "/a%2F") == "b");
  CHECK(h::trimEscapedPrefix("/a/b", "/a%2F") == "/a/b");
  CHECK(h::trimEscapedPrefix("/ap", "/api") == "/ap");
  CHECK(h::trimEscapedPrefix("/other", "/api") == "/other");
}

TEST_CASE("trimEscapedSuffix mirrors the prefix rules from the end", "[handlers][rewrite]") {
  CHECK(h::trimEscapedSuffix("/page.html", ".html") == "/page");
  CHECK(h::trimEscapedSuffix("/page.HTML", ".html") == "/page");
  CHECK(h::trimEscapedSuffix("/page%2Ehtml", ".html") == "/page");
  CHECK(h::trimEscapedSuffix("/page.htm", ".html") == "/page.htm");
  CHECK(h::trimEscapedSuffix("html", "x.html") == "html");
}
