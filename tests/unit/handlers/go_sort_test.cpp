#include "handlers/go_sort.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <utility>
#include <vector>

using gatehouse::handlers::goSort;

namespace {
using Item = std::pair<int, int>;  // key, original position
std::vector<Item> items(const std::vector<int>& keys) {
  std::vector<Item> v;
  for (size_t i = 0; i < keys.size(); ++i) {
    v.emplace_back(keys[i], static_cast<int>(i));
  }
  return v;
}
bool byKey(const Item& a, const Item& b) {
  return a.first < b.first;
}
}  // namespace

TEST_CASE("goSort sorts like sort.Sort for every size and shape") {
  for (size_t n : {0, 1, 2, 12, 13, 49, 50, 51, 200, 1000}) {
    for (int shape = 0; shape < 4; ++shape) {
      std::vector<int> keys;
      for (size_t i = 0; i < n; ++i) {
        const int k = static_cast<int>(i);
        keys.push_back(shape == 0 ? k : shape == 1 ? -k : shape == 2 ? (k * 7919) % 13 : k % 2);
      }
      auto v = items(keys);
      goSort(v, byKey);
      CHECK(std::is_sorted(v.begin(), v.end(), byKey));
    }
  }
}

TEST_CASE("goSort keeps ties in order up to 12 elements (Go sorts those by insertion)") {
  auto small = items(std::vector<int>(12, 1));
  goSort(small, byKey);
  for (int i = 0; i < 12; ++i) {
    CHECK(small[static_cast<size_t>(i)].second == i);
  }
}
