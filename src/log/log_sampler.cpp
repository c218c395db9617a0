#include "log/log_sampler.h"

namespace gatehouse::log {

namespace {

constexpr uint32_t kCountersPerLevel = 4096;

uint32_t fnv32a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

bool Sampler::keep(Level level, std::string_view msg, int64_t tsNs) {
  std::lock_guard lock(mu_);
  const auto levelIndex = static_cast<uint32_t>(static_cast<int>(level) - static_cast<int>(Level::Debug));
  Counter& c = counters_[levelIndex * kCountersPerLevel + fnv32a(msg) % kCountersPerLevel];
  uint64_t n = 0;
  if (c.resetAtNs > tsNs) {
    n = ++c.count;
  } else {
    c.count = n = 1;
    c.resetAtNs = tsNs + policy_.intervalNs;
  }
  if (n <= policy_.first) {
    return true;
  }
  return policy_.thereafter != 0 && (n - policy_.first) % policy_.thereafter == 0;
}

}  // namespace gatehouse::log
