// Dynamic upstreams count on the process's per-address counters, as Caddy 2.6.2 takes a
// Host from its pool for each address a dynamic source answers: what one worker's pool
// counts (requests in flight, passive failures), every other pool sees while a request
// holds the address; once none does, the counters go with their failures, and the
// registry and the pools' slots do not grow with every address DNS ever answered.
#include <uv.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "proxy/connection_pool.h"
#include "proxy/upstream_stats.h"

using namespace gatehouse;
using namespace std::chrono_literals;

namespace {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() { uv_loop_close(&loop); }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
};

// A request's hold on an address, as ProxyCall::holdHost takes it.
proxy::CountersLease hold(proxy::ConnectionPool& pool, proxy::UpstreamStats& stats, size_t slot,
                          const std::string& dial) {
  auto host = pool.slotHost(slot);
  if (!host) {
    host = stats.dynamicHost(dial);
    pool.attachHost(slot, host);
  }
  return proxy::CountersLease(std::move(host));
}

}  // namespace

TEST_CASE("dynamic hosts: one worker's requests and failures are every worker's while held",
          "[dynamic_hosts]") {
  Loop a;
  Loop b;
  proxy::UpstreamStats stats;
  proxy::ConnectionPool first(&a.loop, 0, proxy::KeepAlive{});
  proxy::ConnectionPool second(&b.loop, 0, proxy::KeepAlive{});
  const std::string dial = "127.0.0.1:8080";
  const size_t s1 = first.slotFor(dial);
  const size_t s2 = second.slotFor(dial);
  auto l1 = hold(first, stats, s1, dial);
  auto l2 = hold(second, stats, s2, dial);
  CHECK(l1.get() == l2.get());  // one Host for the address

  first.countRequest(s1, 1);
  CHECK(second.inFlight(s2) == 1);
  first.recordFailure(s1, 10s);
  CHECK(second.recentFails(s2) == 1);
  CHECK(stats.live().size() == 1);  // listed while held (the admin API)
  CHECK(stats.live()[0].requests == 1);

  // A configured upstream naming the same address shares the counters.
  auto configured = stats.counters(dial);
  CHECK(configured.get() == l1.get());
  configured.reset();
  first.countRequest(s1, -1);
  CHECK(second.inFlight(s2) == 0);
}

TEST_CASE("dynamic hosts: once no request holds an address, its failures are forgotten", "[dynamic_hosts]") {
  Loop a;
  Loop b;
  proxy::UpstreamStats stats;
  proxy::ConnectionPool first(&a.loop, 0, proxy::KeepAlive{});
  proxy::ConnectionPool second(&b.loop, 0, proxy::KeepAlive{});
  const std::string dial = "127.0.0.2:8080";
  const size_t s1 = first.slotFor(dial);
  const size_t s2 = second.slotFor(dial);
  {
    auto l1 = hold(first, stats, s1, dial);
    first.recordFailure(s1, 10s);
    CHECK(first.recentFails(s1) == 1);
  }  // the failing request's try ends: nothing holds the address
  CHECK(stats.live().empty());
  CHECK(first.recentFails(s1) == 0);
  CHECK(first.failures(s1) == 0);  // this pool's record went too

  auto l2 = hold(second, stats, s2, dial);  // a new Host
  CHECK(second.recentFails(s2) == 0);
  auto l1 = hold(first, stats, s1, dial);
  CHECK(l1.get() == l2.get());
  CHECK(first.recentFails(s1) == 0);
  CHECK(l2.get()->fails.load() == 0);
}

TEST_CASE("dynamic hosts: addresses DNS no longer answers leave the registry and the slots",
          "[dynamic_hosts]") {
  Loop a;
  proxy::UpstreamStats stats;
  proxy::ConnectionPool pool(&a.loop, 0, proxy::KeepAlive{});
  size_t mostTracked = 0;
  size_t mostSlots = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string dial = "10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".1:80";
    pool.sweepSlots();
    const size_t slot = pool.slotFor(dial);
    {
      auto lease = hold(pool, stats, slot, dial);
      pool.countRequest(slot, 1);
      pool.recordFailure(slot, 10s);  // a failure still counted for 10 s, on counters about to go
      pool.countRequest(slot, -1);
    }
    mostTracked = std::max(mostTracked, stats.tracked());
    mostSlots = std::max(mostSlots, pool.slotCount());
  }
  CHECK(mostTracked <= 128);
  CHECK(mostSlots <= 128);
  CHECK(stats.live().empty());
}
