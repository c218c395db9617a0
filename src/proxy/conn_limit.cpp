#include "proxy/conn_limit.h"

#include <algorithm>
#include <utility>

#include "proxy/conn_waiters.h"

namespace gatehouse::proxy {

void ConnPermit::setIdle(bool idle) {
  if (limit_ && idle != idle_) {
    idle_ = idle;
    limit_->idleChanged(key_, owner_, idle);
  }
}

void ConnPermit::reset() {
  if (limit_) {
    auto limit = std::move(limit_);
    limit->release(key_, owner_, std::exchange(idle_, false));
  }
}

ConnPermit ConnLimit::acquireOrEnqueue(const std::string& key, const std::shared_ptr<ConnWaiters>& inbox,
                                       uint64_t id) {
  std::lock_guard lock(mu_);
  Host& h = hosts_[key];
  if (h.conns < perHost_ && h.waiters.empty()) {
    ++h.conns;
    ++ownerOf(h, inbox).conns;
    return {shared_from_this(), key, inbox};
  }
  h.waiters.push_back(Waiting{inbox, inbox.get(), id});
  askToShed(h, key, inbox.get());
  return {};
}

// An idle connection (any worker's) would otherwise hold its slot until its idle timeout;
// with none idle, another worker's busy HTTP/2 connection takes no new stream, so that it
// goes idle and closes (an HTTP/1.1 one comes back to that worker, which closes it).
void ConnLimit::askToShed(Host& h, const std::string& key, const ConnWaiters* asking) {
  std::shared_ptr<ConnWaiters> busy;
  for (auto& o : h.owners) {
    auto w = o.who.lock();
    if (w && o.idle > 0) {
      w->shed(key);
      return;
    }
    if (w && !busy && o.conns > 0 && w.get() != asking) {
      busy = std::move(w);
    }
  }
  if (busy) {
    busy->shed(key);
  }
}

ConnLimit::Owner& ConnLimit::ownerOf(Host& h, const std::weak_ptr<ConnWaiters>& who) {
  for (auto& o : h.owners) {
    if (!o.who.owner_before(who) && !who.owner_before(o.who)) {
      return o;
    }
  }
  // Workers that went (a stopped pool) make room for this one.
  std::erase_if(h.owners, [](const Owner& o) { return o.conns == 0 && o.idle == 0 && o.who.expired(); });
  return h.owners.emplace_back(Owner{who, 0, 0});
}

bool ConnLimit::cancel(const std::string& key, const ConnWaiters* inbox, uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(key);
  if (it == hosts_.end()) {
    return false;
  }
  auto& q = it->second.waiters;
  auto w = std::find_if(q.begin(), q.end(), [&](const Waiting& x) { return x.who == inbox && x.id == id; });
  if (w == q.end()) {
    return false;
  }
  q.erase(w);
  dropIfUnused(it);
  return true;
}

bool ConnLimit::hasWaiters(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(key);
  return it != hosts_.end() && !it->second.waiters.empty();
}

ConnLimit::Returned ConnLimit::returned(const std::string& key, const ConnWaiters* inbox, uint64_t& id) {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(key);
  if (it == hosts_.end() || it->second.waiters.empty()) {
    return Returned::Park;
  }
  auto& q = it->second.waiters;
  if (q.front().who != inbox) {
    return Returned::Close;
  }
  id = q.front().id;
  q.pop_front();
  return Returned::HandOver;
}

size_t ConnLimit::count(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(key);
  return it == hosts_.end() ? 0 : it->second.conns;
}

// The slot goes to the first waiter whose worker still runs; the count drops only when
// nobody takes it.
void ConnLimit::release(const std::string& key, const std::weak_ptr<ConnWaiters>& owner, bool wasIdle) {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(key);
  if (it == hosts_.end()) {
    return;
  }
  Host& h = it->second;
  Owner& o = ownerOf(h, owner);
  o.conns -= o.conns > 0 ? 1 : 0;
  o.idle -= wasIdle && o.idle > 0 ? 1 : 0;
  while (!h.waiters.empty()) {
    Waiting w = std::move(h.waiters.front());
    h.waiters.pop_front();
    auto inbox = w.inbox.lock();
    if (inbox && inbox->grant(key, w.id)) {
      ++ownerOf(h, w.inbox).conns;  // the slot moves to the waiter's worker
      return;
    }
  }
  --h.conns;
  dropIfUnused(it);
}

void ConnLimit::idleChanged(const std::string& key, const std::weak_ptr<ConnWaiters>& owner, bool idle) {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(key);
  if (it == hosts_.end()) {
    return;
  }
  Owner& o = ownerOf(it->second, owner);
  if (idle) {
    ++o.idle;
  } else if (o.idle > 0) {
    --o.idle;
  }
}

// Keys of per-request addresses come and go: an entry nobody counts or waits on goes.
void ConnLimit::dropIfUnused(std::unordered_map<std::string, Host>::iterator it) {
  if (it->second.conns == 0 && it->second.waiters.empty()) {
    hosts_.erase(it);
  }
}

}  // namespace gatehouse::proxy
