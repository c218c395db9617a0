#include "proxy/conn_waiters.h"

#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

ConnWaiters::ConnWaiters(uv_loop_t* loop, std::shared_ptr<ConnLimit> limit, Hooks hooks)
    : loop_(loop), limit_(std::move(limit)), hooks_(std::move(hooks)) {}

ConnWaiters::~ConnWaiters() {
  close();
}

void ConnWaiters::open() {
  uv_async_init(loop_, async_.create(), &ConnWaiters::onAsync);
  async_.get()->data = this;
  uv_unref(async_.handle());  // waiting requests keep the loop alive, not the inbox
  std::lock_guard lock(mu_);
  closed_ = false;
}

void ConnWaiters::close() {
  std::vector<std::pair<std::string, uint64_t>> grants;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    grants.swap(grants_);
  }
  async_.reset();
  for (auto& [key, id] : grants) {
    ConnPermit released(limit_, key, weak_from_this());  // its end hands the slot on
  }
  for (auto& [ticket, local] : waiting_) {
    if (!local.key.empty()) {
      limit_->cancel(local.key, this, ticket);
    }
  }
  waiting_.clear();
  handed_.clear();
}

ConnPermit ConnWaiters::acquire(const std::string& key, size_t slot, ConnWaiter& w, uint64_t& ticket) {
  ticket = nextTicket_++;
  ConnPermit p = limit_->acquireOrEnqueue(key, shared_from_this(), ticket);
  if (p) {
    ticket = 0;
  } else {
    waiting_.emplace(ticket, Local{&w, key, slot});
  }
  return p;
}

void ConnWaiters::leave(uint64_t ticket) {
  auto it = waiting_.find(ticket);
  if (it == waiting_.end()) {
    return;
  }
  if (!it->second.key.empty()) {
    limit_->cancel(it->second.key, this, ticket);  // false: a grant is on its way; dispatch releases it
  }
  waiting_.erase(it);
}

bool ConnWaiters::offer(const std::string& key, std::unique_ptr<UpstreamConnection>& c) {
  uint64_t id = 0;
  switch (limit_->returned(key, this, id)) {
    case ConnLimit::Returned::Park:
      return true;
    case ConnLimit::Returned::Close:
      c.reset();  // its slot goes to the waiter on the other worker
      return false;
    case ConnLimit::Returned::HandOver:
      handed_.emplace_back(id, std::move(c));
      uv_async_send(async_.get());
      return false;
  }
  return true;
}

bool ConnWaiters::wakeAll(size_t slot) {
  bool woke = false;
  for (auto& [ticket, local] : waiting_) {
    if (local.slot == slot && !local.key.empty()) {
      limit_->cancel(local.key, this, ticket);
      local.key.clear();  // off the shared queue; a grant already on its way still counts
      local.slot = SIZE_MAX;
      woken_.push_back(ticket);
      woke = true;
    }
  }
  if (woke) {
    uv_async_send(async_.get());
  }
  return woke;
}

bool ConnWaiters::grant(const std::string& key, uint64_t id) {
  std::lock_guard lock(mu_);
  if (closed_) {
    return false;
  }
  grants_.emplace_back(key, id);
  uv_async_send(async_.get());
  return true;
}

void ConnWaiters::shed(const std::string& key) {
  std::lock_guard lock(mu_);
  if (!closed_) {
    sheds_.push_back(key);
    uv_async_send(async_.get());
  }
}

void ConnWaiters::onAsync(uv_async_t* a) {
  if (auto* self = static_cast<ConnWaiters*>(a->data)) {
    self->dispatch();
  }
}

ConnWaiter* ConnWaiters::take(uint64_t id) {
  auto it = waiting_.find(id);
  if (it == waiting_.end()) {
    return nullptr;
  }
  ConnWaiter* w = it->second.waiter;
  waiting_.erase(it);
  return w;
}

// Each waiter is looked up again right before it is told: telling one may end others.
void ConnWaiters::dispatch() {
  auto keep = shared_from_this();  // a waiter's callback may drop the pool's reference
  std::vector<std::pair<std::string, uint64_t>> grants;
  std::vector<std::string> sheds;
  {
    std::lock_guard lock(mu_);
    grants.swap(grants_);
    sheds.swap(sheds_);
  }
  for (auto& [key, id] : grants) {
    ConnPermit p(limit_, key, weak_from_this());
    if (ConnWaiter* w = take(id)) {
      w->onConnSlot(std::move(p), nullptr);
    }  // else: it left; the permit's end hands the slot on
  }
  auto handed = std::move(handed_);
  handed_.clear();
  for (auto& [id, conn] : handed) {
    if (ConnWaiter* w = take(id)) {
      w->onConnSlot({}, std::move(conn));
    } else if (hooks_.unclaimed) {
      hooks_.unclaimed(std::move(conn));
    }
  }
  auto woken = std::move(woken_);
  woken_.clear();
  for (uint64_t id : woken) {
    if (ConnWaiter* w = take(id)) {
      w->onConnSlot({}, nullptr);
    }
  }
  for (const auto& key : sheds) {
    if (hooks_.shed) {
      hooks_.shed(key);
    }
  }
}

}  // namespace gatehouse::proxy
