#pragma once
// Active health checks with the fastcgi transport, as Caddy 2.6.2 runs them: its check
// request lacks the original request the FastCGI environment is built from, so every
// check panics before dialing and the panic is logged (Caddy issue 5281, fixed in 2.7).
// Nothing reaches the upstreams, none is ever marked unhealthy by these checks, and each
// interval brings one "active health check panicked" error per checked upstream. One
// notice per handler runs (the first worker to serve it claims it). Loop thread only.

#include <uv.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "gatehouse/runtime/exchange_host.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class FastCgiHealthNotice final : public runtime::WorkerLocal {
 public:
  // `claim` is shared by the handler's workers: only the first to set it logs.
  FastCgiHealthNotice(uv_loop_t* loop, std::atomic<bool>& claim, size_t upstreams,
                      std::chrono::milliseconds interval);

 private:
  static void onTick(uv_timer_t* t);

  size_t upstreams_;
  UvHandle<uv_timer_t> timer_;
};

}  // namespace gatehouse::proxy
