#include "proxy/fastcgi_health_notice.h"

#include "server/server_group.h"

namespace gatehouse::proxy {

FastCgiHealthNotice::FastCgiHealthNotice(uv_loop_t* loop, std::atomic<bool>& claim, size_t upstreams,
                                         std::chrono::milliseconds interval)
    : upstreams_(upstreams) {
  if (upstreams == 0 || claim.exchange(true)) {
    return;  // another worker logs for this handler
  }
  uv_timer_init(loop, timer_.create());
  timer_.get()->data = this;
  uv_unref(timer_.handle());  // must not keep a stopping worker alive
  // As Caddy's checker: a round at once, then one per interval.
  uv_timer_start(timer_.get(), &FastCgiHealthNotice::onTick, 0, static_cast<uint64_t>(interval.count()));
}

void FastCgiHealthNotice::onTick(uv_timer_t* t) {
  const auto* self = static_cast<FastCgiHealthNotice*>(t->data);
  for (size_t i = 0; i < self->upstreams_; ++i) {
    server::logLine({{"logger", "http.handlers.reverse_proxy.health_checker.active"},
                     {"msg", "active health check panicked"},
                     {"error", "interface conversion: interface {} is nil, not http.Request"}},
                    "error");
  }
}

}  // namespace gatehouse::proxy
