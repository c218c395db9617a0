#pragma once
// certmagic's RingBufferRateLimiter as Caddy 2.6 uses it for on-demand issuance: at most
// `maxEvents` events in any sliding window of `window`; allow() reserves a slot when it
// says yes. maxEvents 0 allows everything when the window is 0 and nothing otherwise.
// Manager-loop only.

#include <chrono>
#include <cstddef>
#include <vector>

namespace gatehouse::acme {

class SlidingWindowLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  SlidingWindowLimiter(size_t maxEvents, std::chrono::nanoseconds window);
  bool allow(Clock::time_point now = Clock::now());

 private:
  std::chrono::nanoseconds window_;
  std::vector<Clock::time_point> ring_;  // reservation times; the cursor's is the oldest
  std::vector<bool> used_;               // a slot never used is always free
  size_t cursor_ = 0;
};

}  // namespace gatehouse::acme
