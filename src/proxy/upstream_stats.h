#pragma once
// The process's view of every configured upstream, as Caddy's global upstream pool keeps it
// (keyed by the `dial` string, shared by every handler and every config that names it, gone
// once no running config does): requests in flight and failures still counted. Workers
// update the counters with relaxed atomics on the request path; the admin API
// (/reverse_proxy/upstreams, the health gauge on /metrics) reads them. The registry itself
// is only locked while provisioning and when the admin API lists it.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gatehouse::proxy {

struct UpstreamCounters {
  std::atomic<int64_t> requests{0};  // in flight
  std::atomic<int64_t> fails{0};     // passive-health failures within fail_duration
  // The passive policy of the handler last provisioned with it (for the health gauge).
  std::atomic<uint32_t> maxFails{0};  // 0: passive checks off
  std::atomic<int32_t> configs{0};    // handlers of live configs naming it (CountersLease)
};

// Holds the counters for a configured upstream and marks them as named by a live config
// for as long as it lives: an address drops out of the list once no config names it,
// even while pools of a retired config still hold the counters.
class CountersLease {
 public:
  CountersLease() = default;
  explicit CountersLease(std::shared_ptr<UpstreamCounters> c) : c_(std::move(c)) {
    if (c_) {
      c_->configs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  CountersLease(const CountersLease& o) : CountersLease(o.c_) {}
  CountersLease(CountersLease&& o) noexcept = default;
  CountersLease& operator=(CountersLease o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~CountersLease() {
    if (c_) {
      c_->configs.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  [[nodiscard]] UpstreamCounters* get() const { return c_.get(); }
  [[nodiscard]] const std::shared_ptr<UpstreamCounters>& shared() const { return c_; }

 private:
  std::shared_ptr<UpstreamCounters> c_;
};

class UpstreamStats {
 public:
  // The counters for `dial`, shared with every other user of the same address.
  std::shared_ptr<UpstreamCounters> counters(const std::string& dial);

  struct Row {
    std::string address;
    int64_t requests = 0;
    int64_t fails = 0;
  };
  // Every address a running config still names, sorted.
  std::vector<Row> live();
  // caddy_reverse_proxy_upstreams_healthy: 1 unless passive checks count max_fails failures;
  // an address no longer configured keeps its last value, as a Prometheus gauge does. ""
  // when no upstream was ever configured.
  std::string healthGauge();

 private:
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<UpstreamCounters>> entries_;
  std::map<std::string, int> lastHealthy_;
};

}  // namespace gatehouse::proxy
