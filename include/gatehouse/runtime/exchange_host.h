#pragma once
// What a session (HTTP/1.1 connection, HTTP/2 stream) offers the exchange it serves, so
// that handlers can work asynchronously (reverse_proxy), read the request body as a
// stream, and take over an upgraded connection, without ever seeing the session itself.
// Loop thread only; every callback below runs on the loop that owns the exchange.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>

#include "gatehouse/runtime/body_source.h"
#include "gatehouse/runtime/header_list.h"

namespace gatehouse::http {
class Session;
class Transport;
}  // namespace gatehouse::http

namespace gatehouse::runtime {

class Exchange;
enum class Outcome;

// State a handler keeps per worker loop (connection pools, round-robin cursors): handlers
// are immutable and shared by every worker, so mutable state lives here, keyed by the
// handler that owns it. No lock: one loop, one thread.
class WorkerLocal {
 public:
  virtual ~WorkerLocal() = default;
};

class WorkerState {
 public:
  explicit WorkerState(uv_loop_t* loop) : loop_(loop) {}
  [[nodiscard]] uv_loop_t* loop() const { return loop_; }

  // The `T` kept on this loop for the owner whose lifetime `life` tracks, created with
  // `make()` on first use. Keyed by the owner's token rather than its address: after a
  // reload a new handler may live where a freed one did, and must not inherit its pool.
  // Locals of owners that are gone are dropped (here, on the loop) when a new one is made.
  template <typename T, typename Make>
  T& get(const std::shared_ptr<const void>& life, Make&& make) {
    auto it = locals_.find(life.get());
    if (it != locals_.end() && sameOwner(it->second.life, life)) {
      return static_cast<T&>(*it->second.local);
    }
    std::erase_if(locals_, [](const auto& entry) { return entry.second.life.expired(); });
    Slot& slot = locals_[life.get()];
    slot.life = life;
    slot.local = make();
    return static_cast<T&>(*slot.local);
  }

 private:
  struct Slot {
    std::weak_ptr<const void> life;
    std::unique_ptr<WorkerLocal> local;
  };
  static bool sameOwner(const std::weak_ptr<const void>& a, const std::shared_ptr<const void>& b) {
    return !a.owner_before(b) && !b.owner_before(a);
  }

  uv_loop_t* loop_;
  std::unordered_map<const void*, Slot> locals_;
};

// Work an exchange waits for (an upstream request). The exchange owns it; destroying it
// must cancel everything it started (close upstream sockets, stop timers) at once. This is
// how a client that leaves cancels the upstream request: the session drops the exchange.
class PendingWork {
 public:
  virtual ~PendingWork() = default;
  // Runs when the session resumes the chain (after host->resume()). Handled: the exchange
  // is answered (response or error set); Continue: the chain goes on with the handler after
  // the one that paused (Caddy's `next`, as handle_response routes that end without a
  // response do). Must not return Paused.
  virtual Outcome resumed(Exchange& ex);  // default: Handled
  // A reload replaced the config with one that no longer serves this exchange's site:
  // long-lived work (proxied streams) ends after its own delay (stream_close_delay);
  // never acts synchronously (the caller is iterating over the session's exchanges).
  virtual void siteRemoved() {}
};

// The far end of an upgraded connection (101 Switching Protocols, or a 2xx to an
// extended CONNECT on HTTP/2). Implemented by the handler that answered the upgrade.
class TunnelPeer {
 public:
  virtual ~TunnelPeer() = default;
  // Bytes from the client. The session stops reading after each call until
  // ExchangeHost::tunnelResumeReading(), so a slow upstream holds the client back.
  virtual void onClientData(std::string_view data) = 0;
  // The client closed its sending side (half-close); the upstream may still answer.
  virtual void onClientEof() = 0;
  // Everything given to tunnelWrite() has left; more may be written. Also called once when
  // the tunnel starts (the 101 head is out): the peer must not write before that.
  virtual void onClientDrained() = 0;
  // The client connection is gone; stop and release upstream resources.
  virtual void onClientClosed() = 0;
};

class ExchangeHost {
 public:
  virtual ~ExchangeHost() = default;
  virtual uv_loop_t* loop() = 0;
  virtual WorkerState& worker() = 0;

  // A handler that returned Outcome::Paused calls this once it has set ex.response (head
  // plus body or stream) or ex.error. Must not be called from inside Handler::handle().
  virtual void resume() = 0;

  // The request body as a pull stream: each pull yields the next bytes the client sent, in
  // pieces of any size, eof on the last. Nothing is read from the client beyond what a pull
  // asked for (plus one socket read), so body memory stays bounded. A body that breaks its
  // framing or exceeds Request::maxBodyBytes ends with onBodyError (UV_EPROTO / UV_E2BIG).
  // Valid for the whole exchange; for a request without a body the first pull gives eof.
  virtual BodySource& requestBody() = 0;

  // An informational (1xx, not 100/101) response head before the final one, as Go's
  // WriteHeader(1xx): the status, the response fields set so far, then `fields`. Ignored
  // once the final head is out, and for HTTP/1.0 clients.
  virtual void sendInformational(int status, const HeaderList& fields) = 0;

  // Tunnel mode, entered after the head of a 101 response with Response::tunnel set has
  // been written: client bytes go to the peer, these write to the client.
  virtual void tunnelWrite(std::string_view data) = 0;
  // Half-closes the client side (the upstream finished sending).
  virtual void tunnelShutdownWrite() = 0;
  virtual void tunnelResumeReading() = 0;
  // Ends the tunnel and the client connection.
  virtual void tunnelClose() = 0;
  // Once the tunnel runs (after the first onClientDrained), the peer may offer to take the
  // client connection (an HTTP/2 stream) over with a session of its own (a relay holding
  // both sockets), so the exchange and this host can go. `make` builds it on the
  // connection's (the stream's) transport; the host then passes on the client bytes and EOF
  // it still held. False when this host cannot (a tunnel that ended, or nothing records).
  using TunnelRelayMaker = std::function<std::unique_ptr<http::Session>(http::Transport&)>;
  virtual bool handOverTunnel(const TunnelRelayMaker& /*make*/) { return false; }

  // HTTP/2 server push (Go's http.Pusher.Push): promises `method` (GET or HEAD; "" is GET)
  // of `target` (an absolute path, or an absolute URL of the connection's scheme) with
  // `headers`, and serves that request through the server's routes as a stream of its own.
  // False when it cannot (HTTP/1.x, the client disabled push, a pushed request, a target
  // or field Go refuses, too many pushed streams): the caller stops pushing, as Caddy does.
  virtual bool push(std::string_view /*method*/, std::string_view /*target*/, const HeaderList& /*headers*/) {
    return false;
  }
};

}  // namespace gatehouse::runtime
