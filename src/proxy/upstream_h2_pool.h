#pragma once
// The HTTP/2 connections of one reverse_proxy handler on one worker, per upstream: a
// request joins the first one with room for another stream, and a new one is dialed only
// when none has (the peer's MAX_CONCURRENT_STREAMS reached, GOAWAY, none yet). Dead and
// long-idle sessions are freed from the loop, never inside their own callbacks.
// Loop thread only.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proxy/delivery_queue.h"
#include "proxy/upstream_h2_session.h"

namespace gatehouse::proxy {

class H2Sessions {
 public:
  H2Sessions(uv_loop_t* loop, DeliveryQueue& deliveries, size_t upstreams, uint64_t idleTimeoutMs);
  ~H2Sessions();
  H2Sessions(const H2Sessions&) = delete;
  H2Sessions& operator=(const H2Sessions&) = delete;

  // A session to upstream `i` a new stream may join, or nullptr.
  UpstreamH2Session* usable(size_t i);
  UpstreamH2Session& add(size_t i, std::unique_ptr<UpstreamH2Session> s);
  // Room for upstreams (pool slots) [0, n): slots are added for per-request addresses.
  void ensure(size_t n) {
    if (sessions_.size() < n) {
      sessions_.resize(n);
    }
  }
  // Frees dead and idle-expired sessions on the loop's next turn.
  void scheduleReap();
  // Closes every session (the pool is going away).
  void clear();
  [[nodiscard]] uv_loop_t* loop() const { return loop_; }
  // max_conns_per_host: told (from the loop, later) when a stream left a session of `slot`
  // whose connection counts under `key`.
  using RoomHook = std::function<void(size_t slot, const std::string& key)>;
  void onRoom(RoomHook hook) { roomHook_ = std::move(hook); }
  void roomIn(size_t slot, const std::string& key);
  // Closes one session to `key` that carries no stream (a waiter on another worker needs
  // its slot); with none, one takes no new stream and closes once its streams are done.
  bool closeIdle(const std::string& key);
  bool closeIdle(size_t slot);
  // Sessions open to upstream `i` (tests and logs).
  [[nodiscard]] size_t count(size_t i) const { return sessions_[i].size(); }

 private:
  void reap();
  void runRooms();
  struct Rooms {
    H2Sessions* self;
    std::vector<std::pair<size_t, std::string>> pending;
  };

  uv_loop_t* loop_;
  DeliveryQueue& deliveries_;
  uint64_t idleTimeoutMs_;
  std::vector<std::vector<std::unique_ptr<UpstreamH2Session>>> sessions_;
  RoomHook roomHook_;
  Rooms rooms_{this, {}};
  DeliveryQueue::Entry reapEntry_;   // reap() pending
  DeliveryQueue::Entry roomsEntry_;  // runRooms() pending
};

}  // namespace gatehouse::proxy
