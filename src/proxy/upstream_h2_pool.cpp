#include "proxy/upstream_h2_pool.h"

#include <algorithm>

namespace gatehouse::proxy {

H2Sessions::H2Sessions(uv_loop_t* loop, DeliveryQueue& deliveries, size_t upstreams, uint64_t idleTimeoutMs)
    : loop_(loop), deliveries_(deliveries), idleTimeoutMs_(idleTimeoutMs), sessions_(upstreams) {}

H2Sessions::~H2Sessions() {
  clear();
}

void H2Sessions::clear() {
  DeliveryQueue::cancel(reapEntry_);
  DeliveryQueue::cancel(roomsEntry_);
  rooms_.pending.clear();
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
  roomIn(i, sessions_[i].back()->limitKey());  // requests waiting here may join it
  return *sessions_[i].back();
}

void H2Sessions::scheduleReap() {
  deliveries_.schedule(reapEntry_, this, [](void* self) { static_cast<H2Sessions*>(self)->reap(); });
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

void H2Sessions::roomIn(size_t slot, const std::string& key) {
  if (!roomHook_ || key.empty()) {
    return;
  }
  rooms_.pending.emplace_back(slot, key);
  deliveries_.schedule(roomsEntry_, &rooms_, [](void* r) { static_cast<Rooms*>(r)->self->runRooms(); });
}

void H2Sessions::runRooms() {
  auto pending = std::move(rooms_.pending);
  rooms_.pending.clear();
  for (const auto& [slot, key] : pending) {
    roomHook_(slot, key);
  }
}

bool H2Sessions::closeIdle(const std::string& key) {
  UpstreamH2Session* busy = nullptr;
  for (size_t i = 0; i < sessions_.size(); ++i) {
    for (auto& s : sessions_[i]) {
      if (s->limitKey() != key || !s->usable()) {
        continue;
      }
      if (s->idle()) {
        return closeIdle(i);
      }
      busy = busy != nullptr ? busy : s.get();
    }
  }
  if (busy != nullptr) {
    busy->retire();  // reaped once its last stream leaves
  }
  return false;
}

bool H2Sessions::closeIdle(size_t slot) {
  auto& list = sessions_[slot];
  auto it = std::find_if(list.begin(), list.end(), [](const auto& s) { return s->idle(); });
  if (it == list.end()) {
    return false;
  }
  list.erase(it);  // idle: no stream to tell, and not inside its own callback (run from the loop)
  return true;
}

}  // namespace gatehouse::proxy
