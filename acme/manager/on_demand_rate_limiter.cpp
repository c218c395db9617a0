#include "manager/on_demand_rate_limiter.h"

namespace gatehouse::acme {

SlidingWindowLimiter::SlidingWindowLimiter(size_t maxEvents, std::chrono::nanoseconds window)
    : window_(window), ring_(maxEvents), used_(maxEvents, false) {}

bool SlidingWindowLimiter::allow(Clock::time_point now) {
  if (ring_.empty()) {
    return window_.count() == 0;
  }
  if (used_[cursor_] && now - ring_[cursor_] < window_) {
    return false;  // the oldest of the last maxEvents reservations is still in the window
  }
  ring_[cursor_] = now;
  used_[cursor_] = true;
  cursor_ = (cursor_ + 1) % ring_.size();
  return true;
}

}  // namespace gatehouse::acme
