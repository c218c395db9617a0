// Every input the fuzzer ever found a bug with (tests/fuzz/adapter/seeds) must adapt or be
// refused with a ConfigError: nothing else may escape the adapter.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gatehouse/parser/adapter.h"

TEST_CASE("fuzzer seeds and regressions adapt or fail with a ConfigError") {
  namespace fs = std::filesystem;
  const fs::path seeds = fs::path(GATEHOUSE_SOURCE_DIR) / "tests/fuzz/adapter/seeds";
  int count = 0;
  for (const auto& entry : fs::directory_iterator(seeds)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    INFO(entry.path().filename().string());
    try {
      (void)gatehouse::parser::adaptCaddyfile(text.str(), "Caddyfile");
    } catch (const gatehouse::parser::ConfigError&) {
      // a positioned refusal is fine
    }
    ++count;
  }
  CHECK(count > 0);
}
