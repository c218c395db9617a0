// Passive health failures count for the whole process, as Caddy counts them on its
// per-address Host: what one worker's pool records, another worker's pool of the same
// address sees, and the recording pool's timer drops it after fail_duration even if that
// worker serves nothing more.
#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "proxy/connection_pool.h"

using namespace gatehouse;

TEST_CASE("passive failures: one worker's failure is every worker's, until it expires",
          "[passive_failures]") {
  uv_loop_t a;
  uv_loop_t b;
  uv_loop_init(&a);
  uv_loop_init(&b);
  // The pool's timer does not keep a loop alive (a worker's listeners do): this stands in.
  uv_timer_t keeper;
  uv_timer_init(&a, &keeper);
  uv_timer_start(
      &keeper, [](uv_timer_t*) {}, 10, 10);
  {
    auto counters = std::make_shared<proxy::UpstreamCounters>();
    proxy::ConnectionPool first(&a, 1, proxy::KeepAlive{});
    proxy::ConnectionPool second(&b, 1, proxy::KeepAlive{});
    first.shareCounters({counters});
    second.shareCounters({counters});
    proxy::ConnectionPool alone(&b, 1, proxy::KeepAlive{});  // no shared counters: its own count

    uv_update_time(&a);
    first.recordFailure(0, std::chrono::milliseconds(50));
    first.recordFailure(0, std::chrono::milliseconds(50));
    alone.recordFailure(0, std::chrono::milliseconds(50));
    CHECK(first.recentFails(0) == 2);
    CHECK(second.recentFails(0) == 2);  // seen on the other worker
    CHECK(second.failures(0) == 0);     // which recorded none itself
    CHECK(alone.recentFails(0) == 1);

    // Only the recording worker's loop runs: its timer drops the failures on time.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (counters->fails.load() != 0 && std::chrono::steady_clock::now() < deadline) {
      uv_run(&a, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(counters->fails.load() == 0);
    CHECK(second.recentFails(0) == 0);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&keeper), nullptr);
  uv_run(&a, UV_RUN_DEFAULT);
  uv_run(&b, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&a) == 0);
  CHECK(uv_loop_close(&b) == 0);
}
