#pragma once
// max_conns_per_host (Go's Transport.MaxConnsPerHost): at most N connections per upstream
// address for one reverse_proxy handler, counted across all its workers: dialing, active
// and idle ones, HTTP/1.1 and HTTP/2 alike (an HTTP/2 connection is one, whatever its
// streams). A request that finds none free waits in one FIFO queue per address; the slot
// of a connection that closes goes to the queue's head, on whichever worker it waits (its
// ConnWaiters). Shared by the workers: every member takes the mutex.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gatehouse::proxy {

class ConnWaiters;
class ConnLimit;

// One counted connection (or one granted slot not yet dialed): released when it goes.
// Move-only; empty when default-constructed or when the handler has no limit.
class ConnPermit {
 public:
  ConnPermit() = default;
  ConnPermit(std::shared_ptr<ConnLimit> limit, std::string key, std::weak_ptr<ConnWaiters> owner)
      : limit_(std::move(limit)), key_(std::move(key)), owner_(std::move(owner)) {}
  ~ConnPermit() { reset(); }
  ConnPermit(ConnPermit&& o) noexcept
      : limit_(std::move(o.limit_)),
        key_(std::move(o.key_)),
        owner_(std::move(o.owner_)),
        idle_(std::exchange(o.idle_, false)) {}
  ConnPermit& operator=(ConnPermit&& o) noexcept {
    if (this != &o) {
      reset();
      limit_ = std::move(o.limit_);
      key_ = std::move(o.key_);
      owner_ = std::move(o.owner_);
      idle_ = std::exchange(o.idle_, false);
    }
    return *this;
  }
  ConnPermit(const ConnPermit&) = delete;
  ConnPermit& operator=(const ConnPermit&) = delete;

  explicit operator bool() const { return limit_ != nullptr; }
  [[nodiscard]] const std::string& key() const { return key_; }
  [[nodiscard]] const std::shared_ptr<ConnLimit>& limit() const { return limit_; }
  [[nodiscard]] const std::weak_ptr<ConnWaiters>& owner() const { return owner_; }
  // The connection sits idle in its worker's pool (a waiter elsewhere may ask it to close).
  void setIdle(bool idle);
  void reset();

 private:
  std::shared_ptr<ConnLimit> limit_;
  std::string key_;
  std::weak_ptr<ConnWaiters> owner_;  // the worker whose pool holds the connection
  bool idle_ = false;
};

class ConnLimit : public std::enable_shared_from_this<ConnLimit> {
 public:
  explicit ConnLimit(size_t perHost) : perHost_(perHost) {}
  [[nodiscard]] size_t perHost() const { return perHost_; }

  // A slot for a new connection to `key` now (under the limit, nobody waiting ahead), or
  // an empty permit and waiter `id` of `inbox` queued. A worker holding an idle connection
  // to `key` is then asked to close one (else another worker holding one is asked to stop
  // adding HTTP/2 streams to it), so that nobody waits on another worker's connection.
  ConnPermit acquireOrEnqueue(const std::string& key, const std::shared_ptr<ConnWaiters>& inbox, uint64_t id);
  // Removes a queued waiter; false when it was already granted (the grant is on its way to
  // its inbox, which releases it on finding nobody).
  bool cancel(const std::string& key, const ConnWaiters* inbox, uint64_t id);
  // Someone waits for `key`.
  bool hasWaiters(const std::string& key);

  // What a worker does with a finished, reusable connection to `key`.
  enum class Returned { Park, Close, HandOver };
  // Park: nobody waits. HandOver: the head waiter is on `inbox` (popped; its id in `id`).
  // Close: the head waits on another worker, which gets the slot once it is closed.
  Returned returned(const std::string& key, const ConnWaiters* inbox, uint64_t& id);

  // Connections counted for `key` (tests, logs).
  size_t count(const std::string& key);

 private:
  friend class ConnPermit;
  struct Waiting {
    std::weak_ptr<ConnWaiters> inbox;
    const ConnWaiters* who;
    uint64_t id;
  };
  struct Owner {  // a worker's share of a host's connections
    std::weak_ptr<ConnWaiters> who;
    size_t conns = 0;
    size_t idle = 0;
  };
  struct Host {
    size_t conns = 0;
    std::deque<Waiting> waiters;
    std::vector<Owner> owners;
  };
  void release(const std::string& key, const std::weak_ptr<ConnWaiters>& owner, bool wasIdle);
  void idleChanged(const std::string& key, const std::weak_ptr<ConnWaiters>& owner, bool idle);
  static Owner& ownerOf(Host& h, const std::weak_ptr<ConnWaiters>& who);
  static void askToShed(Host& h, const std::string& key, const ConnWaiters* asking);
  void dropIfUnused(std::unordered_map<std::string, Host>::iterator it);

  size_t perHost_;
  std::mutex mu_;
  std::unordered_map<std::string, Host> hosts_;
};

}  // namespace gatehouse::proxy
