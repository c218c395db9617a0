#include "proxy/reverse_proxy.h"

#include <algorithm>
#include <atomic>

#include "gatehouse/runtime/error_traces.h"
#include "proxy/fastcgi_health_notice.h"
#include "proxy/health_checker.h"
#include "proxy/proxy_call.h"
#include "proxy/proxy_config.h"
#include "proxy/upstream_stats.h"

namespace gatehouse::proxy {

namespace {

class ReverseProxy final : public runtime::Handler {
 public:
  explicit ReverseProxy(std::unique_ptr<ProxyConfig> config) : config_(std::move(config)) {}

  runtime::Outcome handle(runtime::Exchange& ex) const override {
    if (ex.host == nullptr) {
      return ex.fail(502, "no session to proxy from", runtime::traces::kNoCaddyOrigin);
    }
    // Pools and counters are per worker loop; the handler itself stays immutable.
    auto& pool = ex.host->worker().get<ConnectionPool>(life_, [&] {
      auto p =
          std::make_unique<ConnectionPool>(ex.host->loop(), config_->upstreams.size(), config_->keepAlive,
                                           config_->connLimit);
      std::vector<std::shared_ptr<UpstreamCounters>> counters;
      for (const auto& u : config_->upstreams) {
        counters.push_back(u.counters.shared());
      }
      p->shareCounters(std::move(counters));
      if (config_->active && !config_->fastcgi) {
        p->adoptHealthChecker(std::make_unique<HealthChecker>(*p, config_->upstreams, *config_->active,
                                                              &config_->transport, config_, life_));
      }
      return p;
    });
    if (config_->active && config_->fastcgi) {
      // Caddy 2.6.2's checks cannot run over FastCGI: what it logs instead (only such
      // handlers pay this lookup).
      ex.host->worker().get<FastCgiHealthNotice>(noticeLife_, [&] {
        const auto& ups = config_->upstreams;
        const auto checked = static_cast<size_t>(std::count_if(
            ups.begin(), ups.end(), [](const Upstream& u) { return u.dialTemplate == nullptr; }));
        return std::make_unique<FastCgiHealthNotice>(ex.host->loop(), *noticeClaim_, checked,
                                                     config_->active->interval);
      });
    }
    auto call = std::make_unique<ProxyCall>(*config_, pool, ex);
    ProxyCall& c = *call;
    if (config_->dynamic) {
      c.useDynamicLookups(ex.host->worker().get<DynamicLookups>(
          lookupsLife_, [&] { return std::make_unique<DynamicLookups>(ex.host->loop()); }));
    }
    // Inside handle_response routes the exchange's pending work is the call whose response
    // they handle, still on the stack: it must outlive this one's start.
    c.follow(ex.pending.get());
    std::unique_ptr<runtime::PendingWork> previous = std::move(ex.pending);
    ex.pending = std::move(call);
    const runtime::Outcome outcome = c.start();
    if (outcome != runtime::Outcome::Paused) {
      ex.pending = std::move(previous);
    } else if (previous) {
      c.outlive(std::move(previous));
    }
    return outcome;
  }

 private:
  // Shared with this handler's health checkers, which may outlive it (see HealthChecker).
  std::shared_ptr<const ProxyConfig> config_;
  // Identifies this handler's per-worker pools for as long as it lives (see WorkerState).
  std::shared_ptr<const void> life_ = std::make_shared<const char>('\0');
  // The fastcgi transport's stand-in for active health checks: one per handler.
  std::shared_ptr<const void> noticeLife_ = std::make_shared<const char>('\0');
  std::shared_ptr<std::atomic<bool>> noticeClaim_ = std::make_shared<std::atomic<bool>>(false);
  // The same for its dynamic upstreams' DNS cache (per worker too).
  std::shared_ptr<const void> lookupsLife_ = std::make_shared<const char>('\0');
};

}  // namespace

std::unique_ptr<runtime::Handler> makeReverseProxy(const config::Handler& h, const std::string& path,
                                                   const handlers::RouteCompiler& compile, UpstreamStats* stats) {
  auto config = ProxyConfig::parse(h, path, compile);
  if (stats != nullptr) {
    const bool passive = config->passive.failDuration.count() > 0;
    for (auto& u : config->upstreams) {
      u.counters = CountersLease(stats->counters(u.dial));
      u.counters.get()->maxFails.store(passive ? config->passive.maxFails : 0, std::memory_order_relaxed);
    }
  }
  return std::make_unique<ReverseProxy>(std::move(config));
}

}  // namespace gatehouse::proxy
