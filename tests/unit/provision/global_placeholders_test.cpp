#include "provision/global_placeholders.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <stdexcept>

using gatehouse::provision::replaceGlobalPlaceholders;

TEST_CASE("global placeholders: env and system replaced, the rest refused as Caddy") {
  ::setenv("GH_GLOBAL_PH_TEST", "keys", 1);
  CHECK(replaceGlobalPlaceholders("/tmp/{env.GH_GLOBAL_PH_TEST}.log") == "/tmp/keys.log");
  CHECK(replaceGlobalPlaceholders("/tmp/{system.os}") == "/tmp/linux");
  CHECK(replaceGlobalPlaceholders("plain/path") == "plain/path");
  CHECK(replaceGlobalPlaceholders("a\\{b\\}") == "a{b}");
  CHECK(replaceGlobalPlaceholders("open{") == "open{");
  try {
    replaceGlobalPlaceholders("{foo}/x");
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "unrecognized placeholder {foo}");
  }
  ::unsetenv("GH_GLOBAL_PH_UNSET_X");
  try {
    replaceGlobalPlaceholders("/tmp/{env.GH_GLOBAL_PH_UNSET_X}x");
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "evaluated placeholder {env.GH_GLOBAL_PH_UNSET_X} is empty");
  }
  CHECK_THROWS_AS(replaceGlobalPlaceholders("{time.now.year}"), std::runtime_error);
}
