#include "templates/semver.h"

#include <catch2/catch.hpp>
#include <string>

#include "templates/value.h"

using namespace gatehouse::templates;

TEST_CASE("semver: Masterminds v3 versions and constraints", "[templates]") {
  CHECK(parseSemVersion("v1.2").str() == "1.2.0");
  CHECK(parseSemVersion("1.2.3-beta.1+b5").compare(parseSemVersion("1.2.3")) == -1);
  CHECK_THROWS_WITH(parseSemVersion("1.2.3-01"), "Version segment starts with 0");
  CHECK(semverSatisfies("^1.2", parseSemVersion("1.9.0")));
  CHECK_FALSE(semverSatisfies(">1.2", parseSemVersion("1.2.9")));
  CHECK(semverSatisfies("<1.0 || >=3", parseSemVersion("3.1.0")));
  CHECK_FALSE(semverSatisfies("*", parseSemVersion("1.0.0-beta")));
  CHECK_THROWS_WITH(semverSatisfies("", parseSemVersion("1.0.0")), "improper constraint: ");
}

TEST_CASE("semver: a long constraint that does not match is refused in linear time", "[templates]") {
  // A backtracking matcher takes exponential time here (RE2, as Go's regexp, does not).
  const std::string text = std::string(5000, '1') + "!";
  CHECK_THROWS_WITH(semverSatisfies(text, parseSemVersion("1.0.0")), "improper constraint: " + text);
  CHECK_THROWS_WITH(parseSemVersion(std::string(5000, '1') + ".x"), "Invalid Semantic Version");
}
