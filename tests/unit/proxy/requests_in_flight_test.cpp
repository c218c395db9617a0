// Requests in flight count per upstream address for the whole process, as Caddy counts them
// on its per-address Host: what one worker's pool counts, every other pool naming the same
// address reads (least_conn, max_requests, unhealthy_request_count), threads counting at
// once lose nothing, and a later config gets the same counters while the earlier one's
// requests still hold them (a reload).
#include <uv.h>

#include <catch2/catch.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "proxy/connection_pool.h"
#include "proxy/lb_policy.h"
#include "proxy/upstream_stats.h"

using namespace gatehouse;

namespace {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() { uv_loop_close(&loop); }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
};

}  // namespace

TEST_CASE("requests in flight: one worker's requests are every worker's", "[requests_in_flight]") {
  Loop a;
  Loop b;
  proxy::UpstreamStats stats;
  proxy::ConnectionPool first(&a.loop, 2, proxy::KeepAlive{});
  proxy::ConnectionPool second(&b.loop, 2, proxy::KeepAlive{});
  first.shareCounters({stats.counters("127.0.0.1:1"), stats.counters("127.0.0.1:2")});
  second.shareCounters({stats.counters("127.0.0.1:1"), stats.counters("127.0.0.1:2")});
  proxy::ConnectionPool alone(&b.loop, 2, proxy::KeepAlive{});  // no shared counters

  first.countRequest(0, 1);
  first.countRequest(0, 1);
  alone.countRequest(1, 1);
  CHECK(first.inFlight(0) == 2);
  CHECK(second.inFlight(0) == 2);      // seen on the other worker
  CHECK(second.state(0).active == 0);  // which counts none itself (its slots stay free)
  CHECK(first.state(0).active == 2);
  CHECK(alone.inFlight(1) == 1);  // a pool without shared counters: its own
  CHECK(second.inFlight(1) == 0);

  // least_conn on the other worker avoids the upstream the first one loads.
  auto leastConn = proxy::makeSelectionPolicy(config::Json{{"policy", "least_conn"}}, "lb",
                                              {"127.0.0.1:1", "127.0.0.1:2"});
  runtime::Exchange ex;
  const std::vector<size_t> both = {0, 1};
  for (int i = 0; i < 20; ++i) {
    CHECK(leastConn->select(both, ex, second) == 1);
  }
  // It ends on the second worker's pool (a request never moves, but the count is shared):
  second.countRequest(0, -1);
  second.countRequest(0, -1);
  CHECK(first.inFlight(0) == 0);
}

TEST_CASE("requests in flight: threads counting at once lose nothing", "[requests_in_flight]") {
  proxy::UpstreamStats stats;
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  std::vector<std::unique_ptr<Loop>> loops;
  std::vector<std::unique_ptr<proxy::ConnectionPool>> pools;
  for (int t = 0; t < kThreads; ++t) {
    loops.push_back(std::make_unique<Loop>());
    pools.push_back(std::make_unique<proxy::ConnectionPool>(&loops.back()->loop, 1, proxy::KeepAlive{}));
    pools.back()->shareCounters({stats.counters("127.0.0.1:3")});
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&pool = *pools[static_cast<size_t>(t)]] {
      for (int i = 0; i < kRounds; ++i) {
        pool.countRequest(0, 1);
        pool.countRequest(0, 1);
        pool.countRequest(0, -1);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(pools[0]->inFlight(0) == kThreads * kRounds);
  CHECK(stats.counters("127.0.0.1:3")->requests.load() == kThreads * kRounds);
}

TEST_CASE("requests in flight: a reloaded config counts on the same counters", "[requests_in_flight]") {
  Loop l;
  proxy::UpstreamStats stats;
  auto oldPool = std::make_unique<proxy::ConnectionPool>(&l.loop, 1, proxy::KeepAlive{});
  oldPool->shareCounters({stats.counters("127.0.0.1:4")});
  oldPool->countRequest(0, 1);  // a request of the old config, still in flight

  // The new config is provisioned while the old one's pool lives: the same address's
  // counters, with the old request in them.
  proxy::ConnectionPool newPool(&l.loop, 1, proxy::KeepAlive{});
  newPool.shareCounters({stats.counters("127.0.0.1:4")});
  CHECK(newPool.inFlight(0) == 1);
  newPool.countRequest(0, 1);
  CHECK(oldPool->inFlight(0) == 2);
  oldPool->countRequest(0, -1);  // the old request ends
  oldPool.reset();               // and the old config goes
  CHECK(newPool.inFlight(0) == 1);
  newPool.countRequest(0, -1);
  CHECK(newPool.inFlight(0) == 0);
}
