#include "proxy/connection_pool.h"

#include <algorithm>

#include "proxy/health_checker.h"

namespace gatehouse::proxy {

ConnectionPool::ConnectionPool(uv_loop_t* loop, size_t upstreams, KeepAlive keepAlive,
                               std::shared_ptr<ConnLimit> limit)
    : loop_(loop),
      keepAlive_(keepAlive),
      idle_(2 * upstreams),
      states_(upstreams),
      deliveries_(loop),
      h2_(loop, deliveries_, upstreams, static_cast<uint64_t>(keepAlive.idleTimeout.count())),
      configured_(upstreams) {
  if (limit) {
    openWaiters(std::move(limit));
  }
}

ConnectionPool::~ConnectionPool() {
  for (size_t i = 0; i < states_.size(); ++i) {
    countFails(i, -static_cast<int64_t>(states_[i].failures.size()));  // this pool's count goes with it
  }
  if (waiters_) {
    waiters_->close();
  }
  checker_.reset();
  trimTimer_.reset();
  failTimer_.reset();
  deliveries_.close();
  idle_.clear();  // closes every parked connection
  h2_.clear();
  // Workers destroy their state after their loop stopped; parked connections are unref'd
  // so they never kept it running. Run the loop once more so their close callbacks free
  // them. Never reached on the loop thread while it runs (state outlives every exchange).
  if (uv_loop_alive(loop_) != 0) {
    uv_run(loop_, UV_RUN_NOWAIT);
  }
}

// Dead and timed-out idle connections go; at most once per loop tick (takeIdle skips
// such a connection itself).
void ConnectionPool::prune() {
  const uint64_t now = uv_now(loop_);
  if (now == lastPrune_) {
    return;
  }
  lastPrune_ = now;
  const auto timeout = static_cast<uint64_t>(keepAlive_.idleTimeout.count());
  for (auto& list : idle_) {
    std::erase_if(list, [&](const std::unique_ptr<UpstreamConnection>& c) {
      const bool drop = c->dead() || (timeout != 0 && now - c->idleSince() >= timeout);
      idleCount_ -= drop ? 1 : 0;
      return drop;
    });
  }
}

std::unique_ptr<UpstreamConnection> ConnectionPool::takeIdle(size_t i, bool webSocket) {
  prune();
  auto& list = idleOf(i, webSocket ? 1 : 0);
  const uint64_t now = uv_now(loop_);
  const auto timeout = static_cast<uint64_t>(keepAlive_.idleTimeout.count());
  while (!list.empty()) {
    // Most recently used first: the least likely to have been closed by the upstream.
    auto c = std::move(list.back());
    list.pop_back();
    --idleCount_;
    if (!c->dead() && (timeout == 0 || now - c->idleSince() < timeout)) {
      c->permit().setIdle(false);
      return c;
    }
  }
  return nullptr;
}

bool ConnectionPool::overLimit(size_t i, size_t kind) const {
  return idleOf(i, kind).size() > keepAlive_.maxIdlePerHost ||
         (keepAlive_.maxIdle != 0 && idleCount_ > keepAlive_.maxIdle);
}

void ConnectionPool::giveBack(std::unique_ptr<UpstreamConnection> c) {
  if (!keepAlive_.enabled || !c->reusable() || keepAlive_.maxIdlePerHost == 0) {
    return;  // destroyed here: closed
  }
  prune();
  const size_t i = c->upstreamIndex();
  c->park();
  // max_conns_per_host: a request waiting for this upstream takes it, or it closes so that
  // one waiting on another worker may dial.
  if (waiters_ && c->permit() && !waiters_->offer(c->permit().key(), c)) {
    return;
  }
  c->permit().setIdle(true);
  const size_t kind = c->webSocketOnly() ? 1 : 0;
  idleOf(i, kind).push_back(std::move(c));
  ++idleCount_;
  if (overLimit(i, kind) && (!trimTimer_ || uv_is_active(trimTimer_.handle()) == 0)) {
    if (!trimTimer_) {
      uv_timer_init(loop_, trimTimer_.create());
      uv_unref(trimTimer_.handle());  // never keeps a stopping worker's loop alive
    }
    trimTimer_.get()->data = this;
    uv_timer_start(
        trimTimer_.get(), [](uv_timer_t* t) { static_cast<ConnectionPool*>(t->data)->trimExcess(); },
        kExcessGrace, 0);
  }
}

void ConnectionPool::trimExcess() {
  const uint64_t now = uv_now(loop_);
  uint64_t wait = UINT64_MAX;  // until the next excess connection has waited kExcessGrace
  for (size_t i = 0; i < states_.size(); ++i) {
    for (size_t kind = 0; kind < 2; ++kind) {
      auto& list = idleOf(i, kind);
      // Oldest first (the front): the most recently used stay, as they would have.
      while (!list.empty() && overLimit(i, kind)) {
        const uint64_t idleFor = now - list.front()->idleSince();
        if (idleFor < kExcessGrace && !list.front()->dead()) {
          wait = std::min(wait, kExcessGrace - idleFor);
          break;
        }
        list.pop_front();
        --idleCount_;
      }
    }
  }
  if (wait != UINT64_MAX) {
    uv_timer_start(
        trimTimer_.get(), [](uv_timer_t* t) { static_cast<ConnectionPool*>(t->data)->trimExcess(); }, wait,
        0);
  }
}

void ConnectionPool::closeIdle() {
  for (auto& list : idle_) {
    idleCount_ -= list.size();
    list.clear();
  }
  for (size_t i = 0; i < states_.size(); ++i) {
    while (h2_.closeIdle(i)) {
    }
  }
}

void ConnectionPool::adoptHealthChecker(std::unique_ptr<HealthChecker> checker) {
  checker_ = std::move(checker);
}

size_t ConnectionPool::slotFor(const std::string& key) {
  if (auto it = slotIndex_.find(key); it != slotIndex_.end()) {
    return it->second;
  }
  size_t i = 0;
  if (!freeSlots_.empty()) {
    i = freeSlots_.back();
    freeSlots_.pop_back();
    states_[i] = UpstreamState{};
  } else {
    i = states_.size();
    states_.emplace_back();
    idle_.emplace_back();
    idle_.emplace_back();
    slotKeys_.emplace_back();
    slotHosts_.emplace_back();
    h2_.ensure(states_.size());
  }
  slotKeys_[i - configured_] = key;
  slotHosts_[i - configured_].reset();
  slotIndex_.emplace(key, i);
  return i;
}

void ConnectionPool::holdSlot(size_t i) {
  if (i >= configured_) {
    ++states_[i].users;
  }
}

void ConnectionPool::releaseSlot(size_t i) {
  if (i >= configured_ && states_[i].users > 0) {
    --states_[i].users;
  }
}

bool ConnectionPool::slotUnused(size_t i) {
  const auto& st = states_[i];
  return st.users == 0 && st.active == 0 && idleOf(i, 0).empty() && idleOf(i, 1).empty() &&
         h2_.count(i) == 0 && failures(i) == 0;
}

void ConnectionPool::sweepSlots() {
  if (slotIndex_.size() < sweepAt_) {
    return;
  }
  prune();
  for (size_t i = configured_; i < states_.size(); ++i) {
    std::string& key = slotKeys_[i - configured_];
    if (!key.empty() && slotUnused(i)) {
      slotIndex_.erase(key);
      key.clear();
      freeSlots_.push_back(i);
    }
  }
  // The next sweep once as many slots again are in use: amortised O(1) per lookup.
  sweepAt_ = std::max<size_t>(64, slotIndex_.size() * 2);
}

void ConnectionPool::attachHost(size_t i, const std::shared_ptr<UpstreamCounters>& host) {
  auto& weak = slotHosts_[i - configured_];
  if (weak.lock() == host) {
    return;
  }
  // Earlier counters of the address died with their last holder: so did the failures
  // this pool counted on them (never taken off the new ones).
  states_[i].failures.clear();
  weak = host;
}

size_t ConnectionPool::failures(size_t i) {
  auto& f = states_[i].failures;
  if (i >= configured_ && !f.empty() && slotHosts_[i - configured_].expired()) {
    f.clear();  // counted on a dynamic address's counters that are gone: forgotten with them
  }
  const uint64_t now = uv_now(loop_);
  while (!f.empty() && f.front() <= now) {
    f.pop_front();
    countFails(i, -1);
  }
  return f.size();
}

size_t ConnectionPool::recentFails(size_t i) {
  const size_t own = failures(i);  // this pool's expired ones leave the shared count first
  std::shared_ptr<UpstreamCounters> hold;
  if (const auto* c = countersOf(i, hold)) {
    return static_cast<size_t>(std::max<int64_t>(0, c->fails.load(std::memory_order_relaxed)));
  }
  return own;
}

void ConnectionPool::recordFailure(size_t i, std::chrono::milliseconds forHowLong) {
  if (forHowLong.count() <= 0) {
    return;
  }
  const auto wait = static_cast<uint64_t>(forHowLong.count());
  states_[i].failures.push_back(uv_now(loop_) + wait);
  countFails(i, 1);
  if (!failTimer_) {
    uv_timer_init(loop_, failTimer_.create());
    failTimer_.get()->data = this;
    uv_unref(failTimer_.handle());  // never keeps a stopping worker's loop alive
  }
  if (uv_is_active(failTimer_.handle()) == 0) {
    uv_timer_start(
        failTimer_.get(), [](uv_timer_t* t) { static_cast<ConnectionPool*>(t->data)->expireFailures(); },
        wait, 0);
  }
}

void ConnectionPool::expireFailures() {
  const uint64_t now = uv_now(loop_);
  uint64_t next = UINT64_MAX;
  for (size_t i = 0; i < states_.size(); ++i) {
    failures(i);
    if (!states_[i].failures.empty()) {
      next = std::min(next, states_[i].failures.front());
    }
  }
  if (next != UINT64_MAX) {
    uv_timer_start(
        failTimer_.get(), [](uv_timer_t* t) { static_cast<ConnectionPool*>(t->data)->expireFailures(); },
        next > now ? next - now : 0, 0);
  }
}

}  // namespace gatehouse::proxy
