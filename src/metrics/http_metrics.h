#pragma once
// Caddy's HTTP metrics (caddy_http_*), collected as Caddy 2.6.2 does: every top-level route
// handler that runs is counted under its module name with the exchange's final status;
// an error counts the request and the error but observes no histogram, an abort only
// moves the in-flight gauge; the time to the head is observed for heads a handler wrote. Each worker thread
// updates its own shard with plain relaxed atomics (no lock, no shared cache line); a scrape
// sums the shards. Series appear on first use, like Prometheus client vectors.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::metrics {

// prometheus.DefBuckets, and ExponentialBuckets(256, 4, 8) for sizes, as Caddy uses.
inline constexpr std::array<double, 11> kDurationBuckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
inline constexpr std::array<double, 8> kSizeBuckets = {256,   1024,   4096,    16384,
                                                       65536, 262144, 1048576, 4194304};

// A histogram written by one thread and read by the scraper.
template <size_t N>
struct Histogram {
  std::array<std::atomic<uint64_t>, N> buckets{};  // non-cumulative; summed on exposition
  std::atomic<uint64_t> count{0};
  std::atomic<double> sum{0};
  void observe(double v, const std::array<double, N>& bounds);
};

class HttpMetrics {
 public:
  HttpMetrics();
  ~HttpMetrics();
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  // Provisioning: the id of the (server, handler module) pair, one per instrumented handler.
  uint32_t registerHandler(const std::string& server, const std::string& handler);

  // Loop threads: a handler starts (in flight), and the exchange is over (every handler
  // that ran is counted with the final status, size and duration).
  void handlerStarted(runtime::Exchange& ex, uint32_t id);
  void exchangeFinished(const runtime::Exchange& ex);

  // Prometheus text exposition format 0.0.4, families sorted by name as client_golang does.
  [[nodiscard]] std::string exposition() const;

 private:
  struct Shard;
  struct Labels {
    std::string server;
    std::string handler;
  };
  Shard& localShard();

  const uint64_t instance_;       // random: tells this registry apart in thread-local caches
  std::vector<Labels> handlers_;  // fixed once serving starts
  mutable std::mutex shardsMu_;   // guards the list, never taken on the request path
  std::vector<std::unique_ptr<Shard>> shards_;
};

// Go's strconv.FormatFloat(v, 'g', -1, 64), as Prometheus prints values and bounds.
std::string formatFloat(double v);
// Caddy's metrics.SanitizeMethod and SanitizeCode.
std::string_view sanitizeMethod(std::string_view method);
int sanitizeCode(int status);

}  // namespace gatehouse::metrics
