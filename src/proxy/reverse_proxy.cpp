#include "proxy/reverse_proxy.h"

#include "gatehouse/runtime/error_traces.h"
#include "proxy/proxy_call.h"
#include "proxy/proxy_config.h"
#include "proxy/proxy_locals.h"
#include "proxy/upstream_stats.h"

namespace gatehouse::proxy {

namespace {

class ReverseProxy final : public runtime::Handler {
 public:
  explicit ReverseProxy(std::shared_ptr<const ProxyLocals> locals, std::shared_ptr<const ProxyConfig> config)
      : locals_(std::move(locals)), config_(std::move(config)) {}

  runtime::Outcome handle(runtime::Exchange& ex) const override {
    if (ex.host == nullptr) {
      return ex.fail(502, "no session to proxy from", runtime::traces::kNoCaddyOrigin);
    }
    // Pools and counters are per worker loop; the handler itself stays immutable. A worker
    // that took the runtime has them already (ProxyLocals::start).
    runtime::WorkerState& worker = ex.host->worker();
    auto& pool = locals_->pool(worker);
    locals_->fastCgiNotice(worker);
    auto call = std::make_unique<ProxyCall>(*config_, pool, ex);
    ProxyCall& c = *call;
    if (config_->dynamic || config_->hasLookupSrv) {
      c.useDynamicLookups(locals_->lookups(worker));
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
  // Owns the life tokens of this handler's per-worker state; the runtime's list of worker
  // starts refers to it weakly, so it goes with the handler.
  std::shared_ptr<const ProxyLocals> locals_;
  std::shared_ptr<const ProxyConfig> config_;
};

}  // namespace

std::unique_ptr<runtime::Handler> makeReverseProxy(const config::Handler& h, const std::string& path,
                                                   const handlers::RouteCompiler& compile,
                                                   std::shared_ptr<UpstreamStats> stats,
                                                   runtime::WorkerStarts* starts) {
  auto config = ProxyConfig::parse(h, path, compile);
  if (stats != nullptr) {
    const bool passive = config->passive.failDuration.count() > 0;
    for (auto& u : config->upstreams) {
      u.counters = CountersLease(stats->counters(u.dial));
      u.counters.get()->maxFails.store(passive ? config->passive.maxFails : 0, std::memory_order_relaxed);
    }
  }
  if (config->dynamic) {
    config->stats = std::move(stats);
  }
  std::shared_ptr<const ProxyConfig> shared = std::move(config);
  auto locals = std::make_shared<const ProxyLocals>(shared);
  if (starts != nullptr) {
    starts->push_back(locals);
  }
  return std::make_unique<ReverseProxy>(std::move(locals), std::move(shared));
}

}  // namespace gatehouse::proxy
