#include <catch2/catch.hpp>
#include <string>

#include "gatehouse/runtime/header_list.h"

using gatehouse::runtime::canonicalHeaderName;
using gatehouse::runtime::equalsIgnoreCase;

TEST_CASE("header names: ASCII case-insensitive equality") {
  CHECK(equalsIgnoreCase("Content-Length", "content-length"));
  CHECK(equalsIgnoreCase("X-A", "x-a"));
  CHECK(equalsIgnoreCase("", ""));
  CHECK_FALSE(equalsIgnoreCase("Host", "Hosts"));
  CHECK_FALSE(equalsIgnoreCase("a-b", "a_b"));
  // Only letters fold: '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
  CHECK_FALSE(equalsIgnoreCase("@", "`"));
  CHECK_FALSE(equalsIgnoreCase("[", "{"));
  CHECK_FALSE(equalsIgnoreCase("\xc3\xa9", "\xc3\x89"));  // non-ASCII bytes never fold
}

TEST_CASE("header names: Go's canonical form") {
  CHECK(canonicalHeaderName("user-agent") == "User-Agent");
  CHECK(canonicalHeaderName("X-FORWARDED-FOR") == "X-Forwarded-For");
  CHECK(canonicalHeaderName("content-md5") == "Content-Md5");
  CHECK(canonicalHeaderName("-a") == "-A");
  CHECK(canonicalHeaderName("") == "");
  CHECK(canonicalHeaderName("bad name") == "bad name");  // left alone, as Go does
  CHECK(canonicalHeaderName("x-\xc3\xa9") == "x-\xc3\xa9");
}
