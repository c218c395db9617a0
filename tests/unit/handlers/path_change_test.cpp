// Caddy's strip_prefix/strip_suffix path edits on the escaped path.
#include "handlers/path_change.h"

#include <catch2/catch.hpp>

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

TEST_CASE("changePath leaves the escaped path as Go's URL.EscapedPath reads it", "[handlers][rewrite]") {
  gatehouse::runtime::Request r;
  r.path = "/re/abc";
  r.rawPath = "/re/abc";
  h::changePath(r, [](std::string_view p) { return std::string(p) + "!"; });
  CHECK(r.path == "/re/abc!");
  CHECK(r.rawPath == "/re/abc%21");  // raw equal to the path: Caddy clears it, Go escapes afresh
  r.path = "/a b";
  r.rawPath = "/a%20b";
  h::changePath(r, [](std::string_view p) { return std::string(p) + "!"; });
  CHECK(r.path == "/a b!");
  CHECK(r.rawPath == "/a%20b!");  // a raw form that differs and spells the path stays
}
