#include "proxy/proxy_locals.h"

#include <algorithm>

#include "proxy/fastcgi_health_notice.h"
#include "proxy/health_checker.h"
#include "proxy/health_verdicts.h"
#include "proxy/proxy_config.h"

namespace gatehouse::proxy {

namespace {
// How long a worker taking the runtime waits for another worker's first round of checks
// to settle (its loop may be busy serving the previous config).
constexpr std::chrono::milliseconds kFirstRoundWait{250};
}  // namespace

ProxyLocals::ProxyLocals(std::shared_ptr<const ProxyConfig> config) : config_(std::move(config)) {
  if (config_->active && !config_->fastcgi) {
    verdicts_ = std::make_shared<HealthVerdicts>(config_->upstreams.size());
  }
}

void ProxyLocals::start(runtime::WorkerState& worker) const {
  if (!config_->active) {
    return;  // nothing runs before a request: the pool can wait for the first one
  }
  const ConnectionPool& p = pool(worker);
  if (verdicts_ && !p.runsHealthChecker()) {
    verdicts_->awaitFirstRound(kFirstRoundWait);  // another worker runs the checks
  }
  fastCgiNotice(worker);
}

ConnectionPool& ProxyLocals::pool(runtime::WorkerState& worker) const {
  return worker.get<ConnectionPool>(life_, [&] {
    auto p = std::make_unique<ConnectionPool>(worker.loop(), config_->upstreams.size(), config_->keepAlive,
                                              config_->connLimit);
    std::vector<std::shared_ptr<UpstreamCounters>> counters;
    for (const auto& u : config_->upstreams) {
      counters.push_back(u.counters.shared());
    }
    p->shareCounters(std::move(counters));
    p->shareVerdicts(verdicts_);
    // One checker for the handler, whichever worker gets here first (Caddy's one per
    // handler): the others only read its verdicts.
    if (verdicts_ && verdicts_->claimChecker()) {
      p->adoptHealthChecker(std::make_unique<HealthChecker>(*p, config_->upstreams, *config_->active,
                                                            &config_->transport, config_, life_, verdicts_));
    }
    return p;
  });
}

DynamicLookups& ProxyLocals::lookups(runtime::WorkerState& worker) const {
  return worker.get<DynamicLookups>(lookupsLife_,
                                    [&] { return std::make_unique<DynamicLookups>(worker.loop()); });
}

void ProxyLocals::fastCgiNotice(runtime::WorkerState& worker) const {
  if (!config_->active || !config_->fastcgi) {
    return;
  }
  // Caddy 2.6.2's checks cannot run over FastCGI: what it logs instead (only such handlers
  // pay this lookup).
  worker.get<FastCgiHealthNotice>(noticeLife_, [&] {
    const auto& ups = config_->upstreams;
    const auto checked = static_cast<size_t>(
        std::count_if(ups.begin(), ups.end(), [](const Upstream& u) { return u.dialTemplate == nullptr; }));
    return std::make_unique<FastCgiHealthNotice>(worker.loop(), *noticeClaim_, checked,
                                                 config_->active->interval);
  });
}

}  // namespace gatehouse::proxy
