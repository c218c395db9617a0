#include "proxy/upstream_stats.h"

#include <algorithm>

namespace gatehouse::proxy {

std::shared_ptr<UpstreamCounters> UpstreamStats::findOrMake(const std::string& dial) {
  auto& slot = entries_[dial];
  auto c = slot.lock();
  if (!c) {
    c = std::make_shared<UpstreamCounters>();
    slot = c;
  }
  return c;
}

std::shared_ptr<UpstreamCounters> UpstreamStats::counters(const std::string& dial) {
  std::lock_guard lock(mu_);
  lastHealthy_.emplace(dial, 1);
  return findOrMake(dial);
}

std::shared_ptr<UpstreamCounters> UpstreamStats::dynamicHost(const std::string& dial) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= pruneAt_) {
    // Addresses DNS answers no longer give: their counters went with their last request.
    std::erase_if(entries_, [](const auto& e) { return e.second.expired(); });
    pruneAt_ = std::max<size_t>(64, entries_.size() * 2);  // amortised O(1) per new entry
  }
  return findOrMake(dial);
}

std::vector<UpstreamStats::Row> UpstreamStats::live() {
  std::lock_guard lock(mu_);
  std::vector<Row> rows;
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto c = it->second.lock();
    if (c && c->refs.load(std::memory_order_relaxed) > 0) {
      rows.push_back(
          {it->first, c->requests.load(std::memory_order_relaxed), c->fails.load(std::memory_order_relaxed)});
      ++it;
    } else if (!c) {
      it = entries_.erase(it);  // nothing holds it any more
    } else {
      ++it;  // a retired config's pools still hold it, but no config names it
    }
  }
  return rows;
}

std::string UpstreamStats::healthGauge() {
  std::lock_guard lock(mu_);
  for (const auto& [dial, weak] : entries_) {
    auto c = weak.lock();
    // Configured addresses only: one only a DNS answer named would stay in it for ever.
    if (auto it = lastHealthy_.find(dial); c && it != lastHealthy_.end()) {
      const uint32_t maxFails = c->maxFails.load(std::memory_order_relaxed);
      const bool healthy = maxFails == 0 || c->fails.load(std::memory_order_relaxed) < maxFails;
      it->second = healthy ? 1 : 0;
    }
  }
  if (lastHealthy_.empty()) {
    return "";
  }
  std::string out =
      "# HELP caddy_reverse_proxy_upstreams_healthy Health status of reverse proxy upstreams.\n"
      "# TYPE caddy_reverse_proxy_upstreams_healthy gauge\n";
  for (const auto& [dial, v] : lastHealthy_) {
    out += "caddy_reverse_proxy_upstreams_healthy{upstream=\"" + dial + "\"} " + std::to_string(v) + "\n";
  }
  return out;
}

}  // namespace gatehouse::proxy
