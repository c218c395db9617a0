#pragma once
// When a server is going to stop (Caddy's shutdown_delay): set on the server of a running
// snapshot when the process stops or a reload replaces it, read by its requests for
// {http.shutting_down} and {http.time_until_shutdown}. The one piece of lifecycle state on
// an otherwise immutable snapshot: written by the main (or reloading) thread, read by
// workers, hence atomic and settable through a const reference.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace gatehouse::provision {

class ShutdownSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  void schedule(Clock::time_point at) const {
    atNanos_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count(),
                   std::memory_order_relaxed);
  }
  // The moment the grace period begins, once scheduled.
  [[nodiscard]] std::optional<Clock::time_point> at() const {
    const int64_t n = atNanos_.load(std::memory_order_relaxed);
    if (n == kNone) {
      return std::nullopt;
    }
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(n)));
  }

 private:
  static constexpr int64_t kNone = INT64_MIN;
  mutable std::atomic<int64_t> atNanos_{kNone};
};

}  // namespace gatehouse::provision
