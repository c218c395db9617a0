#pragma once
// The active health checks' verdicts of one reverse_proxy handler, shared by all its
// workers. Caddy 2.6.2 runs one checker per handler (one request per upstream per
// interval) and keeps the verdict on the handler's Upstream, which every request reads; so
// here one worker's loop runs the handler's checker (the first worker to claim it) and
// publishes each verdict in an atomic that every worker's requests read without a lock.
// Owned by the handler (ProxyLocals) and shared with its checker, which may outlive it.
// Upstreams start healthy: until its first check ends an upstream is available.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>

namespace gatehouse::proxy {

class HealthVerdicts {
 public:
  explicit HealthVerdicts(size_t upstreams)
      : size_(upstreams), healthy_(std::make_unique<std::atomic<bool>[]>(upstreams)) {
    for (size_t i = 0; i < size_; ++i) {
      healthy_[i].store(true, std::memory_order_relaxed);
    }
  }

  // Any thread. Slots past the configured upstreams (placeholders, dynamic ones) are never
  // checked: healthy. Relaxed: each verdict stands alone, and a request that reads the
  // previous one a moment longer is the same race Caddy's requests have with its checker.
  [[nodiscard]] bool healthy(size_t i) const {
    return i >= size_ || healthy_[i].load(std::memory_order_relaxed);
  }
  // The checker's loop thread only.
  void set(size_t i, bool healthy) {
    if (i < size_) {
      healthy_[i].store(healthy, std::memory_order_relaxed);
    }
  }
  // True for the first caller only: that worker runs the handler's checker.
  bool claimChecker() { return !claimed_.exchange(true, std::memory_order_acq_rel); }

  // The checker's loop has run the first round as far as it goes at once: a refused
  // connection (an upstream that is down) has its verdict. Checker's loop thread.
  void firstRoundSettled() { settled_.store(true, std::memory_order_release); }
  // Blocks a worker that takes the runtime, before it serves, until the first round has
  // settled or `limit` passed. Each worker used to run its own first round before it read
  // a request, so a request never beat the verdict on a refused upstream (a 503, not a 502);
  // with one checker the other workers wait for it, briefly (a check that takes longer is
  // under way: its upstream counts as healthy, as in Caddy).
  void awaitFirstRound(std::chrono::milliseconds limit) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!settled_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

 private:
  size_t size_;
  std::unique_ptr<std::atomic<bool>[]> healthy_;
  std::atomic<bool> claimed_{false};
  std::atomic<bool> settled_{false};
};

}  // namespace gatehouse::proxy
