#pragma once
// Per-worker state of one reverse_proxy handler (runtime::WorkerLocal): idle keep-alive
// connections per upstream, request counts and recent failures per upstream (least_conn,
// passive health checks), the round-robin cursor and the read buffer its connections share.
// One loop, one thread: no lock.
//
// The idle limits (max_idle_conns, max_idle_conns_per_host) are enforced on connections
// idle for kExcessGrace: one loop iteration hands back a whole burst of finished responses
// before it reads the clients' next requests, and closing what exceeds the limit at once
// made a new upstream connection for a fifth of the requests under 64 concurrent clients
// (Go's transport, with a goroutine per request, hands a returned connection straight to a
// waiting request instead).

#include <uv.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "gatehouse/runtime/exchange_host.h"
#include "proxy/conn_waiters.h"
#include "proxy/delivery_queue.h"
#include "proxy/health_verdicts.h"
#include "proxy/upstream_connection.h"
#include "proxy/upstream_h2_pool.h"
#include "proxy/upstream_stats.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

struct KeepAlive {
  bool enabled = true;
  std::chrono::milliseconds idleTimeout{120'000};  // Caddy's default: 2m
  size_t maxIdle = 0;                              // 0: no total limit
  size_t maxIdlePerHost = 32;                      // Caddy's default
};

struct UpstreamState {
  uint32_t active = 0;            // this pool's requests in flight (see inFlight())
  std::deque<uint64_t> failures;  // loop times (ms) at which recorded failures expire
  bool h1Only = false;            // its TLS did not select h2: HTTP/1.1 from now on
  uint32_t users = 0;             // requests holding a slot past the configured upstreams
};

class HealthChecker;

class ConnectionPool final : public runtime::WorkerLocal {
 public:
  // `limit`: max_conns_per_host, shared by the handler's workers (null: no limit).
  ConnectionPool(uv_loop_t* loop, size_t upstreams, KeepAlive keepAlive,
                 std::shared_ptr<ConnLimit> limit = nullptr);
  ~ConnectionPool() override;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A live idle connection to upstream `i`, or nullptr. WebSocket upgrades and other
  // requests never share idle connections (`webSocket`: Go's transport keys a WebSocket
  // upgrade's connections apart, so it dials rather than take a plain request's).
  std::unique_ptr<UpstreamConnection> takeIdle(size_t i, bool webSocket = false);
  // Parks a finished connection for reuse (with the WebSocket upgrades' connections if it
  // was dialed for one), or closes it (not reusable, pool full).
  void giveBack(std::unique_ptr<UpstreamConnection> c);

  [[nodiscard]] uv_loop_t* loop() const { return loop_; }
  uv_buf_t readBuffer() { return uv_buf_init(readBuf_.data(), static_cast<unsigned>(readBuf_.size())); }
  UpstreamState& state(size_t i) { return states_[i]; }
  // Failures this pool still counts for upstream `i` (expired ones dropped).
  size_t failures(size_t i);
  // Failures still counted for upstream `i` by the whole process: for a configured
  // upstream, every worker's and every handler's naming the same address, as Caddy counts
  // them on its per-address Host (passive health, {rp.upstream.fails}); this pool's own
  // for the others (placeholders, dynamic upstreams).
  size_t recentFails(size_t i);
  // Counts a failure for `forHowLong`. A timer drops it then, even if this worker serves
  // no more requests: the other workers read the process-wide count.
  void recordFailure(size_t i, std::chrono::milliseconds forHowLong);
  // The configured upstreams' process-wide counters (entries may be null), which the
  // pool's own requests and failures are mirrored into.
  void shareCounters(std::vector<std::shared_ptr<UpstreamCounters>> counters) {
    shared_ = std::move(counters);
  }
  // A request to upstream `i` starts (+1) or ends (-1): this pool's count (slot reuse) and,
  // for a configured upstream or a dynamic one's slot, the address's process-wide one.
  void countRequest(size_t i, int delta) {
    states_[i].active = delta > 0 ? states_[i].active + 1 : states_[i].active - 1;
    std::shared_ptr<UpstreamCounters> hold;
    if (auto* c = countersOf(i, hold)) {
      c->requests.fetch_add(delta, std::memory_order_relaxed);
    }
  }
  // Requests in flight to upstream `i` as Caddy's per-address Host counts them (least_conn,
  // max_requests, unhealthy_request_count, {rp.upstream.requests}): for a configured
  // upstream or a dynamic upstream's slot, every worker's and every handler's naming the
  // address, across reloads; this pool's own otherwise (a pool without the process's
  // registry, or a slot no request holds counters for).
  [[nodiscard]] uint32_t inFlight(size_t i) const {
    std::shared_ptr<UpstreamCounters> hold;
    if (const auto* c = countersOf(i, hold)) {
      return static_cast<uint32_t>(std::max<int64_t>(0, c->requests.load(std::memory_order_relaxed)));
    }
    return states_[i].active;
  }
  // Slot `i` (a dynamic upstream's address) counts on `host`, the address's process-wide
  // counters, which the calling request holds. Failures this pool counted on earlier
  // counters of the address (gone since with their last holder, as Caddy's Host) are
  // dropped: they were forgotten with them.
  void attachHost(size_t i, const std::shared_ptr<UpstreamCounters>& host);
  // The process-wide counters slot `i` counts on, if they are still alive (null: none).
  [[nodiscard]] std::shared_ptr<UpstreamCounters> slotHost(size_t i) const {
    return i >= configured_ ? slotHosts_[i - configured_].lock() : nullptr;
  }
  size_t nextRoundRobin() { return cursor_++; }
  // A uniform pick in [0, n) from the worker's generator, seeded once: a std::random_device
  // per pick cost a sixth of a proxied request's CPU (perf, random policy).
  size_t randomBelow(size_t n) { return n <= 1 ? 0 : static_cast<size_t>(rng_() % n); }
  DeliveryQueue& deliveries() { return deliveries_; }
  H2Sessions& h2() { return h2_; }
  [[nodiscard]] const KeepAlive& keepAlive() const { return keepAlive_; }
  // A vector reused by each request's upstream choice (no allocation per request).
  std::vector<size_t>& scratch() { return scratch_; }
  // An HTTP/1.1 request head's buffer, lent from one request to the next: a head leaves
  // (written, or copied into the connection's queue) right after it is built.
  std::string& spareHead() { return spareHead_; }
  // Slots past the configured upstreams, one per address a request resolved (placeholders,
  // dynamic upstreams): idle connections and counters keyed by that address. A slot is
  // reused once nothing holds it (no request, no idle connection, no failure counted).
  size_t slotFor(const std::string& key);
  void holdSlot(size_t i);
  void releaseSlot(size_t i);
  // Frees unused slots; called before a request looks slots up, never while it holds
  // indices it has not yet taken (they could be handed out again).
  void sweepSlots();
  [[nodiscard]] size_t slotCount() const { return slotIndex_.size(); }
  // max_conns_per_host's waiting requests on this worker; null without a limit.
  [[nodiscard]] ConnWaiters* waiters() const { return waiters_.get(); }
  // The handler's active health verdicts, shared by every worker (null: no checks).
  void shareVerdicts(std::shared_ptr<const HealthVerdicts> verdicts) { verdicts_ = std::move(verdicts); }
  // Upstream `i`'s active health verdict: healthy until a check said otherwise.
  [[nodiscard]] bool activeHealthy(size_t i) const { return !verdicts_ || verdicts_->healthy(i); }
  // The handler's one checker, on the worker that claimed it: it runs for as long as the
  // pool lives (and stops once the handler is gone, see HealthChecker).
  void adoptHealthChecker(std::unique_ptr<HealthChecker> checker);
  [[nodiscard]] bool runsHealthChecker() const { return checker_ != nullptr; }
  // Closes every idle connection and idle HTTP/2 session: the handler is gone (as Caddy's
  // cleanup closes its transport's idle connections), seen by its checker.
  void closeIdle();

 private:
  static constexpr uint64_t kExcessGrace = 1000;  // ms
  void prune();
  // Drops expired failures of every upstream and re-arms failTimer_ for the next one.
  void expireFailures();
  // Closes idle connections over the limits that have waited kExcessGrace; re-arms the
  // trim timer while an excess remains.
  void trimExcess();
  [[nodiscard]] bool overLimit(size_t i, size_t kind) const;
  [[nodiscard]] bool slotUnused(size_t i);
  // max_conns_per_host (connection_pool_limit.cpp).
  void openWaiters(std::shared_ptr<ConnLimit> limit);
  void shedIdle(const std::string& key);
  void onH2Room(size_t slot, const std::string& key);

  uv_loop_t* loop_;
  UvHandle<uv_timer_t> trimTimer_;
  UvHandle<uv_timer_t> failTimer_;
  uint64_t lastPrune_ = UINT64_MAX;
  KeepAlive keepAlive_;
  using IdleList = std::deque<std::unique_ptr<UpstreamConnection>>;
  // Two per upstream (idleOf): plain requests' idle connections and WebSocket upgrades'
  // (answered without a 101); the per-host idle limit counts each apart, as Go's per key.
  std::vector<IdleList> idle_;
  IdleList& idleOf(size_t i, size_t kind) { return idle_[2 * i + kind]; }
  [[nodiscard]] const IdleList& idleOf(size_t i, size_t kind) const { return idle_[2 * i + kind]; }
  std::vector<UpstreamState> states_;
  std::vector<std::shared_ptr<UpstreamCounters>> shared_;
  // The process-wide counters of upstream `i`, or null: a configured upstream's (the pool
  // holds them: no reference counting on the hot path) or a dynamic slot's, alive while a
  // request holds them (`hold` keeps them for the caller).
  [[nodiscard]] UpstreamCounters* countersOf(size_t i, std::shared_ptr<UpstreamCounters>& hold) const {
    if (i < shared_.size()) {
      return shared_[i].get();
    }
    hold = slotHost(i);
    return hold.get();
  }
  void countFails(size_t i, int64_t delta) {
    std::shared_ptr<UpstreamCounters> hold;
    if (auto* c = countersOf(i, hold)) {
      c->fails.fetch_add(delta, std::memory_order_relaxed);
    }
  }
  size_t idleCount_ = 0;
  size_t cursor_ = 0;
  std::array<char, 64 * 1024> readBuf_{};
  std::shared_ptr<const HealthVerdicts> verdicts_;
  std::unique_ptr<HealthChecker> checker_;
  DeliveryQueue deliveries_;
  H2Sessions h2_;  // after deliveries_, which it uses
  std::vector<size_t> scratch_;
  std::string spareHead_;  // ProxyCall::buildHead borrows it, sendRequest gives it back
  size_t configured_;      // upstreams of the handler's config
  std::unordered_map<std::string, size_t> slotIndex_;  // address -> slot
  std::vector<std::string> slotKeys_;                  // slot - configured_ -> address ("" when free)
  // slot - configured_ -> the address's process-wide counters (dynamic upstreams), held by
  // the requests using them, never by the pool: they go as Caddy's Host does.
  std::vector<std::weak_ptr<UpstreamCounters>> slotHosts_;
  std::vector<size_t> freeSlots_;
  size_t sweepAt_ = 64;
  std::mt19937_64 rng_{std::random_device{}()};
  std::shared_ptr<ConnWaiters> waiters_;  // last: its hooks point into this pool
};

}  // namespace gatehouse::proxy
