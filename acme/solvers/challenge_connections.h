#pragma once
// What the two standalone challenge listeners (HTTP-01, TLS-ALPN-01) share: accepted TCP
// connections, each with a deadline timer, owned by their libuv handles once accepted and
// freed by the last close callback, so a listener may be destroyed while closes are pending.

#include <uv.h>

#include <cstdint>
#include <memory>
#include <set>
#include <vector>

namespace gatehouse::acme {

// The fields a listener's connection type must start from (it derives from this).
struct ChallengeConnectionHandles {
  uv_tcp_t tcp;
  uv_timer_t timer;
  int pendingCloses = 0;
  bool done = false;  // closing: callbacks still queued must not finish it again
};

template <class Conn>
class ChallengeConnections {
 public:
  ChallengeConnections() = default;
  ChallengeConnections(const ChallengeConnections&) = delete;
  ChallengeConnections& operator=(const ChallengeConnections&) = delete;
  ~ChallengeConnections() { finishAll(); }

  // The next connection of `server`, its deadline running; nullptr when accepting failed.
  Conn* accept(uv_loop_t* loop, uv_stream_t* server, uv_timer_cb onTimeout, uint64_t timeoutMs) {
    auto owned = std::make_unique<Conn>();
    Conn& c = *owned;
    uv_tcp_init(loop, &c.tcp);
    uv_timer_init(loop, &c.timer);
    c.tcp.data = &c;
    c.timer.data = &c;
    open_.insert(owned.release());  // the handles own it from here on
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c.tcp)) != 0) {
      finish(c);
      return nullptr;
    }
    uv_timer_start(&c.timer, onTimeout, timeoutMs, 0);
    return &c;
  }

  // Starts closing `c`; the close callbacks never touch this object, which may be gone by then.
  void finish(Conn& c) {
    if (c.done) {
      return;
    }
    c.done = true;
    c.pendingCloses = 2;
    open_.erase(&c);
    auto closed = [](uv_handle_t* h) {
      auto* conn = static_cast<Conn*>(h->data);
      if (--conn->pendingCloses == 0) {
        std::unique_ptr<Conn> owned(conn);
      }
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&c.timer), closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp), closed);
  }

  void finishAll() {
    const std::vector<Conn*> open(open_.begin(), open_.end());
    for (Conn* c : open) {
      finish(*c);
    }
  }

 private:
  std::set<Conn*> open_;
};

}  // namespace gatehouse::acme
