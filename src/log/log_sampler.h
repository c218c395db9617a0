#pragma once
// A log's `sampling` (Caddy's LogSampling, done as zap's sampler): per level and message,
// the first `first` entries of each `interval` are written, then every `thereafter`-th.
// Entries are counted by their own timestamps, so the result depends only on the entries.

#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "log/level.h"

namespace gatehouse::log {

struct SamplingPolicy {
  int64_t intervalNs = 1'000'000'000;  // Caddy's defaults for zero values
  uint64_t first = 100;
  uint64_t thereafter = 100;
};

class Sampler {
 public:
  explicit Sampler(SamplingPolicy policy) : policy_(policy) {}
  // Any thread (the ones that log). Counts the entry; false when it is to be dropped.
  bool keep(Level level, std::string_view msg, int64_t tsNs);

 private:
  struct Counter {
    int64_t resetAtNs = 0;
    uint64_t count = 0;
  };
  SamplingPolicy policy_;
  std::mutex mu_;
  // zap keys its counters by level and a 32-bit FNV-1a hash of the message modulo 4096, so
  // messages that collide share a counter; keeping that makes sampling drop what zap drops.
  std::unordered_map<uint32_t, Counter> counters_;
};

}  // namespace gatehouse::log
