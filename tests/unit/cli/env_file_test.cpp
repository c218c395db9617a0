#include "cli/env_file.h"

#include <catch2/catch.hpp>

using gatehouse::cli::EnvVars;
using gatehouse::cli::parseEnvFile;

TEST_CASE("envfile: caddy's KEY=VALUE dialect", "[cli][envfile]") {
  const EnvVars vars = parseEnvFile(
      "# comment\n\n  A=1\r\nexport B=2\nC=x=y\nD=val # note\nE=\"two\nlines\"\nF='kept'\nG=\nH=\"a # b\"\n");
  const EnvVars want = {{"A", "1"},          {"B", "2"},      {"C", "x=y"}, {"D", "val"},
                        {"E", "two\nlines"}, {"F", "'kept'"}, {"G", ""},    {"H", "a"}};
  CHECK(vars == want);
}

TEST_CASE("envfile: a quoted value runs to the line that ends with a quote", "[cli][envfile]") {
  CHECK(parseEnvFile("X=\"a\"b\nY=c\"\nZ=1\n") == EnvVars{{"X", "a\"b\nY=c"}, {"Z", "1"}});
  CHECK(parseEnvFile("X=\"open\nY=1") == EnvVars{{"X", "open\nY=1"}});  // to the end of the file
}

TEST_CASE("envfile: caddy's errors", "[cli][envfile]") {
  auto error = [](const char* text) {
    try {
      parseEnvFile(text);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error("OK=1\nNOEQ\n") == "can't parse line 2; line should be in KEY=VALUE format");
  CHECK(error("=v\n") == "missing or empty key on line 1");
  CHECK(error("export  A=1\n") == "invalid key on line 1: contains whitespace:  A");
  CHECK(error("A= x\n") == "invalid value on line 1: whitespace before value: ' x'");
}
