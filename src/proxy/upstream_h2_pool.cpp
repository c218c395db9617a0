#include "proxy/upstream_h2_pool.h"

namespace gatehouse::proxy {

H2Sessions::H2Sessions(uv_loop_t* loop, DeliveryQueue& deliveries, size_t upstreams, uint64_t idleTimeoutMs)
    : loop_(loop), deliveries_(deliveries), idleTimeoutMs_(idleTimeoutMs), sessions_(upstreams) {}

H2Sessions::~H2Sessions() {
  clear();
}

void H2Sessions::clear() {
  deliveries_.cancel(this);
  for (auto& list : sessions_) {
    list.clear();
  }
}

UpstreamH2Session* H2Sessions::usable(size_t i) {
  reap();
  for (auto& s : sessions_[i]) {
    if (s->usable()) {
      return s.get();
    }
  }
  return nullptr;
}

UpstreamH2Session& H2Sessions::add(size_t i, std::unique_ptr<UpstreamH2Session> s) {
  sessions_[i].push_back(std::move(s));
  return *sessions_[i].back();
}

void H2Sessions::scheduleReap() {
  deliveries_.schedule(this, [](void* self) { static_cast<H2Sessions*>(self)->reap(); });
}

// A session with streams stays (it tells them when it dies, and they leave it); an idle
// one goes when dead, past the keep-alive idle timeout, or no longer usable (GOAWAY, not
// shareable).
void H2Sessions::reap() {
  const uint64_t now = uv_now(loop_);
  for (auto& list : sessions_) {
    std::erase_if(list, [&](const std::unique_ptr<UpstreamH2Session>& s) {
      if (!s->idle()) {
        return false;
      }
      const bool expired = idleTimeoutMs_ != 0 && now - s->idleSince() >= idleTimeoutMs_;
      return s->dead() || expired || !s->usable();
    });
  }
}

}  // namespace gatehouse::proxy
