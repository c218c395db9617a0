#include "protocol/order_pacer.h"

#include <algorithm>

namespace gatehouse::acme {

OrderPacer::OrderPacer(size_t events, std::chrono::nanoseconds window)
    : window_(window), ring_(std::max<size_t>(events, 1)), used_(ring_.size(), false) {}

OrderPacer::Clock::time_point OrderPacer::reserve(Clock::time_point now) {
  Clock::time_point at = now;
  if (used_[cursor_]) {
    // The booking `events` ago must have left the window before this one starts.
    at = std::max(now, ring_[cursor_] + std::chrono::duration_cast<Clock::duration>(window_));
  }
  ring_[cursor_] = at;
  used_[cursor_] = true;
  cursor_ = (cursor_ + 1) % ring_.size();
  return at;
}

}  // namespace gatehouse::acme
