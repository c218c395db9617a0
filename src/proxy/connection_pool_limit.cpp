// ConnectionPool's part in max_conns_per_host (ConnLimit, ConnWaiters): closing an idle
// connection another worker's waiter needs, and waking a waiter when an HTTP/2 session of
// this worker has room for another stream.
#include "proxy/connection_pool.h"

namespace gatehouse::proxy {

void ConnectionPool::openWaiters(std::shared_ptr<ConnLimit> limit) {
  ConnWaiters::Hooks hooks;
  hooks.shed = [this](const std::string& key) { shedIdle(key); };
  hooks.unclaimed = [this](std::unique_ptr<UpstreamConnection> c) { giveBack(std::move(c)); };
  waiters_ = std::make_shared<ConnWaiters>(loop_, std::move(limit), std::move(hooks));
  waiters_->open();
  h2_.onRoom([this](size_t slot, const std::string& key) { onH2Room(slot, key); });
}

// The oldest idle connection to `key` closes; its slot goes to the waiter at the head.
void ConnectionPool::shedIdle(const std::string& key) {
  for (auto& list : idle_) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      if ((*it)->permit() && (*it)->permit().key() == key) {
        list.erase(it);
        --idleCount_;
        return;
      }
    }
  }
  h2_.closeIdle(key);
}

// An HTTP/2 session of this worker has room (a stream left, or it was just dialed): the
// requests here waiting for that upstream join it (streams are not limited, connections
// are); with none, an idle session closes if a request elsewhere waits for its slot.
void ConnectionPool::onH2Room(size_t slot, const std::string& key) {
  if (h2_.usable(slot) != nullptr && waiters_->wakeAll(slot)) {
    return;
  }
  if (waiters_->limit()->hasWaiters(key)) {
    h2_.closeIdle(slot);
  }
}

}  // namespace gatehouse::proxy
