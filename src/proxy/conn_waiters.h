#pragma once
// The requests of one reverse_proxy handler on one worker that wait for a connection
// under max_conns_per_host (ConnLimit), and the worker's inbox for what other threads send
// it: a granted slot, or a request to close an idle connection (shed). Owned by the
// worker's ConnectionPool through a shared_ptr (ConnLimit keeps weak ones); the inbox is
// the only part other threads touch, under its mutex. Everything reaches waiters from the
// loop's async callback, never inside the code that freed the slot.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "proxy/conn_limit.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class UpstreamConnection;

class ConnWaiter {
 public:
  virtual ~ConnWaiter() = default;
  // Its turn came: a slot for a new connection (`permit`), a pooled connection handed over
  // (`conn`), or neither: an HTTP/2 connection of this worker has room for a stream again.
  virtual void onConnSlot(ConnPermit permit, std::unique_ptr<UpstreamConnection> conn) = 0;
};

class ConnWaiters : public std::enable_shared_from_this<ConnWaiters> {
 public:
  struct Hooks {
    std::function<void(const std::string& key)> shed;                    // close an idle connection to key
    std::function<void(std::unique_ptr<UpstreamConnection>)> unclaimed;  // a hand-over found nobody
  };
  ConnWaiters(uv_loop_t* loop, std::shared_ptr<ConnLimit> limit, Hooks hooks);
  ~ConnWaiters();
  ConnWaiters(const ConnWaiters&) = delete;
  ConnWaiters& operator=(const ConnWaiters&) = delete;

  // Loop thread. Creates the async handle (after construction: it needs the shared_ptr).
  void open();
  // Stops taking grants (the pool goes); those still queued are released.
  void close();

  // A slot for a new connection to `key` now, or an empty permit and `w` queued under the
  // returned `ticket` (until granted or leave()).
  ConnPermit acquire(const std::string& key, size_t slot, ConnWaiter& w, uint64_t& ticket);
  // The waiter goes (the request ended, or it no longer waits).
  void leave(uint64_t ticket);
  // A finished connection to `key`: parks it (true) unless a waiter takes it or it must
  // close for another worker's waiter (then `c` is consumed).
  bool offer(const std::string& key, std::unique_ptr<UpstreamConnection>& c);
  // An HTTP/2 session of slot `slot` has room: wakes the local waiters for it (they join it,
  // or queue again if it filled up meanwhile). False when none waits here.
  bool wakeAll(size_t slot);
  [[nodiscard]] const std::shared_ptr<ConnLimit>& limit() const { return limit_; }

  // Any thread (ConnLimit, under its lock): false when closed.
  bool grant(const std::string& key, uint64_t id);
  void shed(const std::string& key);

 private:
  struct Local {
    ConnWaiter* waiter;
    std::string key;
    size_t slot;
  };
  static void onAsync(uv_async_t* a);
  void dispatch();
  ConnWaiter* take(uint64_t id);

  uv_loop_t* loop_;
  std::shared_ptr<ConnLimit> limit_;
  Hooks hooks_;
  UvHandle<uv_async_t> async_;
  std::map<uint64_t, Local> waiting_;  // by ticket: the order they came in
  uint64_t nextTicket_ = 1;
  std::vector<std::pair<uint64_t, std::unique_ptr<UpstreamConnection>>> handed_;
  std::vector<uint64_t> woken_;  // tickets taken off the queue for an HTTP/2 stream
  // Written by other threads.
  std::mutex mu_;
  bool closed_ = true;
  std::vector<std::pair<std::string, uint64_t>> grants_;
  std::vector<std::string> sheds_;
};

}  // namespace gatehouse::proxy
