#include "proxy/reverse_proxy.h"

#include "proxy/health_checker.h"
#include "proxy/proxy_call.h"
#include "proxy/proxy_config.h"

namespace gatehouse::proxy {

namespace {

class ReverseProxy final : public runtime::Handler {
 public:
  explicit ReverseProxy(std::unique_ptr<ProxyConfig> config) : config_(std::move(config)) {}

  runtime::Outcome handle(runtime::Exchange& ex) const override {
    if (ex.host == nullptr) {
      return ex.fail(502, "no session to proxy from");
    }
    // Pools and counters are per worker loop; the handler itself stays immutable.
    auto& pool = ex.host->worker().get<ConnectionPool>(life_, [&] {
      auto p =
          std::make_unique<ConnectionPool>(ex.host->loop(), config_->upstreams.size(), config_->keepAlive,
                                           config_->connLimit);
      if (config_->active) {
        p->adoptHealthChecker(std::make_unique<HealthChecker>(*p, config_->upstreams, *config_->active,
                                                              &config_->transport, config_, life_));
      }
      return p;
    });
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
  // The same for its dynamic upstreams' DNS cache (per worker too).
  std::shared_ptr<const void> lookupsLife_ = std::make_shared<const char>('\0');
};

}  // namespace

std::unique_ptr<runtime::Handler> makeReverseProxy(const config::Handler& h, const std::string& path,
                                                   const handlers::RouteCompiler& compile) {
  return std::make_unique<ReverseProxy>(ProxyConfig::parse(h, path, compile));
}

}  // namespace gatehouse::proxy
