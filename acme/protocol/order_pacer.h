#pragma once
// Paces new ACME orders per account as certmagic 0.17 does (its RingBufferRateLimiter under
// RateLimitEvents / RateLimitEventsWindow, keyed by CA directory and account email): at
// most `events` orders start in any sliding `window`. It is there so that a server with
// hundreds of names does not hammer the CA at start, not to mirror the CA's own limits.
// reserve() books the earliest moment an order may start (now, or when the oldest of the
// last `events` bookings leaves the window) and returns it; waiters are served in the order
// they asked. Pure: the caller supplies the time and does the waiting. Loop-thread only.

#include <chrono>
#include <cstddef>
#include <vector>

namespace gatehouse::acme {

class OrderPacer {
 public:
  using Clock = std::chrono::steady_clock;

  // certmagic 0.17 (acmeclient.go): RateLimitEvents = 10, RateLimitEventsWindow = 10 s.
  static constexpr size_t kCertmagicEvents = 10;
  static constexpr std::chrono::seconds kCertmagicWindow{10};

  explicit OrderPacer(size_t events = kCertmagicEvents, std::chrono::nanoseconds window = kCertmagicWindow);

  Clock::time_point reserve(Clock::time_point now);

 private:
  std::chrono::nanoseconds window_;
  std::vector<Clock::time_point> ring_;  // booked start times; the cursor's is the oldest
  std::vector<bool> used_;
  size_t cursor_ = 0;
};

}  // namespace gatehouse::acme
