#pragma once
// What one reverse_proxy handler keeps per worker loop: its ConnectionPool (on one worker,
// with the handler's active health checker in it), the FastCGI transport's stand-in for
// checks, and the DNS cache of its dynamic upstreams. Handlers are immutable and shared by
// every worker; each of these lives in the worker's WorkerState, keyed by a life token of
// this object's, so a handler a reload built anew (even at the same address) starts from
// nothing, as Caddy provisions a new handler with fresh upstreams and health verdicts.
// The active verdicts are the handler's own (HealthVerdicts), shared by all its workers.
//
// As a runtime::WorkerStart it sets the pool (and so the checks) up when a worker takes
// the runtime, before that worker reads a request: Caddy runs its first round of active
// checks when it provisions the handler, so an upstream that is down is out before the
// first request, and every reload checks anew. A handler built outside a runtime (unit
// tests) gets the same on its first request.

#include <atomic>
#include <memory>

#include "gatehouse/runtime/worker_start.h"

namespace gatehouse::proxy {

class ConnectionPool;
class DynamicLookups;
class HealthVerdicts;
struct ProxyConfig;

class ProxyLocals final : public runtime::WorkerStart {
 public:
  explicit ProxyLocals(std::shared_ptr<const ProxyConfig> config);

  void start(runtime::WorkerState& worker) const override;

  // This worker's pool (made, and its checker started, on first use). Loop thread.
  ConnectionPool& pool(runtime::WorkerState& worker) const;
  // This worker's cache of dynamic upstream lookups. Loop thread.
  DynamicLookups& lookups(runtime::WorkerState& worker) const;
  // Starts the fastcgi transport's check notice on this worker, if the handler needs one.
  void fastCgiNotice(runtime::WorkerState& worker) const;

 private:
  // Shared with this handler's health checkers, which may outlive it (see HealthChecker).
  std::shared_ptr<const ProxyConfig> config_;
  // Its active checks' verdicts (null without checks), written by the one worker's checker.
  std::shared_ptr<HealthVerdicts> verdicts_;
  // Identifies this handler's per-worker pools for as long as it lives (see WorkerState).
  std::shared_ptr<const void> life_ = std::make_shared<const char>('\0');
  // The fastcgi transport's stand-in for active health checks: one per handler.
  std::shared_ptr<const void> noticeLife_ = std::make_shared<const char>('\0');
  std::shared_ptr<std::atomic<bool>> noticeClaim_ = std::make_shared<std::atomic<bool>>(false);
  // The same for its dynamic upstreams' DNS cache (per worker too).
  std::shared_ptr<const void> lookupsLife_ = std::make_shared<const char>('\0');
};

}  // namespace gatehouse::proxy
