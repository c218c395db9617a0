// HeaderList keeps cleared fields as spare slots: what a reused list holds must be exactly
// what was added since the last clear(), whatever the spares held before.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "gatehouse/runtime/header_list.h"

using gatehouse::runtime::HeaderList;

namespace {
std::vector<std::string> lines(const HeaderList& h) {
  std::vector<std::string> out;
  for (const auto& f : h) {
    out.push_back(f.name + ": " + f.value);
  }
  return out;
}
}  // namespace

TEST_CASE("header list: a cleared list reuses its slots and shows only new fields") {
  HeaderList h;
  h.add("Content-Type", "text/plain; charset=utf-8");
  h.add("X-Long", std::string(100, 'v'));
  h.add("Server", "Gatehouse");
  h.clear();
  CHECK(h.empty());
  CHECK(h.begin() == h.end());
  CHECK_FALSE(h.has("Server"));
  h.add("Server", "a");
  CHECK(lines(h) == std::vector<std::string>{"Server: a"});
  auto& slot = h.appendSlot();
  CHECK(slot.name.empty());
  CHECK(slot.value.empty());
  slot.name = "Host";
  h.back().value = "x";
  CHECK(lines(h) == std::vector<std::string>{"Server: a", "Host: x"});
  CHECK(h.size() == 2);
}

TEST_CASE("header list: remove, set and removeIf leave the live fields in order") {
  HeaderList h;
  for (const char* n : {"A", "B", "a", "C", "b"}) {
    h.add(n, std::string(n) + "1");
  }
  CHECK(h.remove("a") == 2);
  CHECK(lines(h) == std::vector<std::string>{"B: B1", "C: C1", "b: b1"});
  h.set("b", "new");
  CHECK(lines(h) == std::vector<std::string>{"B: new", "C: C1"});
  h.removeIf([](const std::string& n) { return n == "C"; });
  CHECK(lines(h) == std::vector<std::string>{"B: new"});
  h.add("D", "d");  // into a slot a removal left behind
  CHECK(lines(h) == std::vector<std::string>{"B: new", "D: d"});
  CHECK(h.count("b") == 1);
  CHECK(h.get("d") == "d");
}

TEST_CASE("header list: copies and moves carry only the live fields") {
  HeaderList h;
  h.add("A", "1");
  h.add("B", "2");
  h.remove("B");
  HeaderList copy(h);
  CHECK(lines(copy) == std::vector<std::string>{"A: 1"});
  HeaderList assigned;
  assigned.add("Z", "z");
  assigned = h;
  CHECK(lines(assigned) == std::vector<std::string>{"A: 1"});
  HeaderList moved(std::move(copy));
  CHECK(lines(moved) == std::vector<std::string>{"A: 1"});
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
  copy.add("C", "c");
  CHECK(lines(copy) == std::vector<std::string>{"C: c"});
}

TEST_CASE("header list: clear() drops grown strings and slots past the cap") {
  HeaderList h;
  for (size_t i = 0; i < HeaderList::kMaxSlots + 8; ++i) {
    h.add("N" + std::to_string(i), std::string(HeaderList::kMaxKeptBytes * 4, 'x'));
  }
  h.clear();
  h.add("A", "1");
  CHECK(h.begin()->value == "1");
  CHECK(h.begin()->value.capacity() <= HeaderList::kMaxKeptBytes);
}
