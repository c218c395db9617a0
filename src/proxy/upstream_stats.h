#pragma once
// The process's view of every upstream address, as Caddy's global upstream pool keeps its
// Hosts (keyed by the `dial` string, shared by every handler and every config that names it,
// and by every request that got it from a dynamic upstream source): requests in flight and
// failures still counted. Workers update the counters with relaxed atomics on the request
// path; the admin API (/reverse_proxy/upstreams, the health gauge on /metrics) reads them.
// The registry itself is locked while provisioning, when the admin API lists it, and when a
// dynamic upstream's request finds no live counters for its address (see dynamicHost).

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
  // Its references as Caddy's pool counts them (CountersLease): handlers of live configs
  // naming it, and requests using it as a dynamic upstream. Listed while above 0.
  std::atomic<int32_t> refs{0};
};

// Holds the counters of an address and marks them as referenced for as long as it lives: by
// a live config naming it, or by a request whose dynamic upstreams include it. An address
// drops out of the list once nothing references it, even while pools of a retired config
// still hold the counters.
class CountersLease {
 public:
  CountersLease() = default;
  explicit CountersLease(std::shared_ptr<UpstreamCounters> c) : c_(std::move(c)) {
    if (c_) {
      c_->refs.fetch_add(1, std::memory_order_relaxed);
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
      c_->refs.fetch_sub(1, std::memory_order_relaxed);
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
  // The same for an address a dynamic upstream source gave a request. Caddy 2.6.2 takes a
  // Host from its pool for each such address at every try and lets it go after it: once
  // no config names the address and no request holds it, its counters go (failures
  // counted on them are forgotten) and the next request starts anew. The caller holds the
  // counters (a CountersLease) for as long as Caddy's try would. Not in the health gauge
  // (an address only a DNS answer named would stay in it for ever).
  std::shared_ptr<UpstreamCounters> dynamicHost(const std::string& dial);

  struct Row {
    std::string address;
    int64_t requests = 0;
    int64_t fails = 0;
  };
  // Addresses the registry keeps an entry for (tests: its growth stays bounded).
  [[nodiscard]] size_t tracked() {
    std::lock_guard lock(mu_);
    return entries_.size();
  }
  // Every address a running config or a request still references, sorted.
  std::vector<Row> live();
  // caddy_reverse_proxy_upstreams_healthy: 1 unless passive checks count max_fails failures;
  // an address no longer configured keeps its last value, as a Prometheus gauge does. ""
  // when no upstream was ever configured.
  std::string healthGauge();

 private:
  std::shared_ptr<UpstreamCounters> findOrMake(const std::string& dial);  // under mu_

  std::mutex mu_;
  std::map<std::string, std::weak_ptr<UpstreamCounters>> entries_;
  std::map<std::string, int> lastHealthy_;
  size_t pruneAt_ = 64;  // entries_'s size at which expired entries are dropped next
};

}  // namespace gatehouse::proxy
