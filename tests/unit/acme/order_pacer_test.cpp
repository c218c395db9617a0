#include "protocol/order_pacer.h"

#include <catch2/catch.hpp>

using gatehouse::acme::OrderPacer;
using namespace std::chrono_literals;

TEST_CASE("order pacer: certmagic 0.17's figures, 10 new orders per 10 seconds") {
  CHECK(OrderPacer::kCertmagicEvents == 10);
  CHECK(OrderPacer::kCertmagicWindow == 10s);
  const auto t0 = OrderPacer::Clock::time_point{} + 1h;
  OrderPacer pacer;
  for (int i = 0; i < 10; ++i) {
    CHECK(pacer.reserve(t0) == t0);  // a burst of 10 starts at once
  }
  // The next ten wait for the first ten to leave the window, in the order they asked.
  for (int i = 0; i < 10; ++i) {
    CHECK(pacer.reserve(t0 + 1s) == t0 + 10s);
  }
  CHECK(pacer.reserve(t0 + 2s) == t0 + 20s);
}

TEST_CASE("order pacer: a sliding window, never more than `events` starts in any window") {
  const auto t0 = OrderPacer::Clock::time_point{} + 1h;
  OrderPacer pacer(2, 60s);
  CHECK(pacer.reserve(t0) == t0);
  CHECK(pacer.reserve(t0 + 5s) == t0 + 5s);
  CHECK(pacer.reserve(t0 + 30s) == t0 + 60s);    // waits for the first to leave
  CHECK(pacer.reserve(t0 + 200s) == t0 + 200s);  // the window emptied meanwhile
  CHECK(pacer.reserve(t0 + 201s) == t0 + 201s);  // the booking at 60s is out of its window
  CHECK(pacer.reserve(t0 + 202s) == t0 + 260s);

  // Many waiters: any `events` consecutive starts span at least the window.
  OrderPacer busy(3, 10s);
  std::vector<OrderPacer::Clock::time_point> starts;
  for (int i = 0; i < 30; ++i) {
    starts.push_back(busy.reserve(t0 + std::chrono::milliseconds(100 * i)));
  }
  for (size_t i = 0; i + 3 < starts.size(); ++i) {
    CHECK(starts[i + 3] - starts[i] >= 10s);
    CHECK(starts[i + 1] >= starts[i]);
  }
  CHECK(starts.back() == t0 + 90s + 200ms);  // 30 orders at 3 per 10 s: the last in the tenth window
}

TEST_CASE("order pacer: zero events is treated as one") {
  const auto t0 = OrderPacer::Clock::time_point{} + 1h;
  OrderPacer one(0, 1s);
  CHECK(one.reserve(t0) == t0);
  CHECK(one.reserve(t0) == t0 + 1s);
}
