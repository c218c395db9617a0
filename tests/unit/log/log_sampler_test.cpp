// Log sampling as zap's sampler does it (Caddy's `sampling`): per level and message, the
// first N entries of each interval, then every M-th; a new interval starts the count again.
#include "log/log_sampler.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace lg = gatehouse::log;

namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::vector<int> kept(lg::Sampler& s, int n, lg::Level level, const std::string& msg, int64_t t0) {
  std::vector<int> out;
  for (int i = 1; i <= n; ++i) {
    if (s.keep(level, msg, t0 + i)) {
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("sampling keeps the first entries, then every thereafter-th", "[log][sampling]") {
  lg::Sampler s({300 * kSecond, 2, 3});
  CHECK(kept(s, 10, lg::Level::Info, "handled request", 0) == std::vector<int>{1, 2, 5, 8});
}

TEST_CASE("sampling counts levels and messages apart", "[log][sampling]") {
  lg::Sampler s({kSecond, 1, 100});
  CHECK(kept(s, 3, lg::Level::Info, "a", 0) == std::vector<int>{1});
  CHECK(kept(s, 3, lg::Level::Error, "a", 0) == std::vector<int>{1});
  CHECK(kept(s, 3, lg::Level::Info, "b", 0) == std::vector<int>{1});
}

TEST_CASE("a new interval starts counting again", "[log][sampling]") {
  lg::Sampler s({kSecond, 1, 0});
  CHECK(s.keep(lg::Level::Info, "m", 0));
  CHECK_FALSE(s.keep(lg::Level::Info, "m", kSecond - 1));
  CHECK(s.keep(lg::Level::Info, "m", kSecond));  // the interval is over
  CHECK_FALSE(s.keep(lg::Level::Info, "m", kSecond + 1));
}

TEST_CASE("thereafter 0 drops everything after the first", "[log][sampling]") {
  lg::Sampler s({kSecond, 2, 0});
  CHECK(kept(s, 6, lg::Level::Warn, "x", 0) == std::vector<int>{1, 2});
}
