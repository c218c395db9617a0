// WorkerState keeps per-loop state (connection pools) for the handler that owns it. After a
// reload the old handler is freed and a new one may take its address: the new owner must
// get fresh state, and the state of owners that are gone must be released.
#include <catch2/catch.hpp>
#include <memory>

#include "gatehouse/runtime/exchange_host.h"

namespace {

struct Counted final : gatehouse::runtime::WorkerLocal {
  Counted(int& live, int number) : live_(live), id(number) { ++live_; }
  ~Counted() override { --live_; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;
  int& live_;
  int id;
};

}  // namespace

TEST_CASE("worker state is kept per owner for as long as the owner lives", "[worker_state]") {
  gatehouse::runtime::WorkerState state(nullptr);
  int live = 0;
  int made = 0;
  auto make = [&] { return std::make_unique<Counted>(live, ++made); };

  auto a = std::make_shared<const char>('\0');
  std::shared_ptr<const void> ownerA = a;
  CHECK(state.get<Counted>(ownerA, make).id == 1);
  CHECK(state.get<Counted>(ownerA, make).id == 1);  // the same state on every request
  CHECK(made == 1);

  std::shared_ptr<const void> ownerB = std::make_shared<const char>('\0');
  CHECK(state.get<Counted>(ownerB, make).id == 2);
  CHECK(live == 2);

  // A is gone (its handler was replaced by a reload): the next new state sweeps A's away.
  a.reset();
  ownerA.reset();
  std::shared_ptr<const void> ownerC = std::make_shared<const char>('\0');
  CHECK(state.get<Counted>(ownerC, make).id == 3);
  CHECK(live == 2);  // B and C
  CHECK(state.get<Counted>(ownerB, make).id == 2);
}

TEST_CASE("a new owner at a freed owner's address gets fresh worker state", "[worker_state]") {
  gatehouse::runtime::WorkerState state(nullptr);
  int live = 0;
  int made = 0;
  auto make = [&] { return std::make_unique<Counted>(live, ++made); };

  // Same address, different lifetimes: an aliasing shared_ptr shares the address of `slot`
  // but has its own control block, as a new handler allocated where the old one was.
  static const char slot = 0;
  auto first = std::shared_ptr<const void>(std::make_shared<int>(0), &slot);
  CHECK(state.get<Counted>(first, make).id == 1);
  first.reset();
  auto second = std::shared_ptr<const void>(std::make_shared<int>(0), &slot);
  CHECK(state.get<Counted>(second, make).id == 2);  // not the freed owner's state
  CHECK(live == 1);
}
