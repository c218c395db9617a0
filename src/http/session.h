#pragma once
// The seam between a connection (socket, TLS) and the protocol session above it
// (HTTP/1.1, HTTP/2): the connection feeds bytes up through `Session` and the session
// writes bytes down through `Transport`. Either side can be driven from memory in tests.
// Loop-thread only.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

class Http1ScratchPool;
class Session;

// What the session needs from the connection below it.
class Transport {
 public:
  enum class Phase {
    Idle,            // between requests: idle_timeout
    ReadingHeaders,  // a request head is arriving: read_header_timeout
    Busy,            // a request is being served: write_timeout
    ReadingBody,     // served while its body still arrives: write_timeout, and read_timeout
                     // counted from the request's start (Go's ReadTimeout)
    Streams,         // HTTP/2 streams are open: each keeps its own write deadline (the session's)
  };
  virtual ~Transport() = default;
  // Sends or queues `bytes` (flushed in order) and leaves it empty, keeping its capacity,
  // so the session's output buffer is reused across responses without reallocating.
  virtual void write(std::string& bytes) = 0;
  // Sends `bytes` the caller keeps (a body piece in its source's buffer): written from the
  // caller's memory when the socket takes it all, copied only for what has to wait.
  virtual void writeCopy(std::string_view bytes) {
    std::string copy(bytes);
    write(copy);
  }
  // Closes after queued bytes are flushed (or at once when `abort`).
  virtual void close(bool abort) = 0;
  // Closes the sending side after queued bytes are flushed; reading goes on (tunnels).
  virtual void shutdownWrite() = 0;
  virtual void pauseReading() = 0;
  virtual void resumeReading() = 0;
  virtual void setPhase(Phase phase) = 0;
  // The request body has been read whole: read_timeout no longer applies (ReadingBody ends
  // without moving the write deadline).
  virtual void bodyRead() {}
  // A tunnel has nothing in flight either way: if it stays so for a while, the connection
  // may drop what the next bytes would rebuild (TLS record buffers), as for an idle
  // keep-alive connection, and calls the session's trim(). Called whenever the tunnel
  // settles; cheap. `sessionTrims`: the session has buffers of its own to drop (a relay's
  // upstream TLS), so a cleartext connection arms its timer too.
  virtual void quiet(bool /*sessionTrims*/) {}
  // True when nothing queued awaits the socket (backpressure for streamed bodies).
  [[nodiscard]] virtual bool drained() const = 0;
  virtual uv_loop_t* loop() = 0;
  // Per-worker handler state (connection pools), shared by every session on this loop.
  virtual runtime::WorkerState& worker() = 0;
  // The worker's free list of HTTP/1.1 request state; null when driven from memory (tests).
  virtual Http1ScratchPool* http1Scratch() { return nullptr; }
  // The socket a file body may be sendfile()d into right now (cleartext, nothing queued),
  // else -1.
  virtual int sendfileSocket() { return -1; }
  // Tunnel hand-over: whether replaceSession() may be called now, and the swap itself. The
  // new session gets every later callback; the old one (on the caller's stack) is kept
  // until the next loop turn, then destroyed.
  [[nodiscard]] virtual bool sessionReplaceable() const { return false; }
  virtual void replaceSession(std::unique_ptr<Session> /*next*/) {}
};

// Runs the route chain for a complete request head.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Handled/Continue: ex.response (or ex.error) is final. Paused: a handler will call
  // ex.host->resume() later, and the session then calls resumed().
  virtual runtime::Outcome handle(runtime::Exchange& ex) = 0;
  // After a resume: runs the server's error routes when ex.error is set (they may pause
  // again), and turns an unhandled error into its status response.
  virtual runtime::Outcome resumed(runtime::Exchange& ex) = 0;
  // The exchange is over (response sent in full, or the connection dropped): access logs
  // and metrics. ex.response.bytesWritten and ex.request.start are set.
  virtual void finished(const runtime::Exchange& /*ex*/) {}
  // Whether finished() records anything (access log, metrics): a session may drop an
  // upgraded exchange early only when nothing waits for its end.
  [[nodiscard]] virtual bool recordsExchanges() const { return true; }
};

// Facts about the connection that placeholders and matchers need.
struct PeerInfo {
  std::string remoteIp;  // "127.0.0.1" / "::1" (IPv4-mapped addresses unmapped)
  uint16_t remotePort = 0;
  uint16_t localPort = 0;
  bool tls = false;
  std::string serverName;   // SNI, when TLS
  std::string alpn;         // negotiated protocol, when TLS
  std::string tlsVersion;   // "tls1.3", when TLS
  std::string cipherSuite;  // IANA name, when TLS
  // Everything above and the client certificate, for {http.request.tls.*}; null without TLS.
  std::shared_ptr<const runtime::TlsInfo> tlsInfo;
};

class Session {
 public:
  virtual ~Session() = default;
  // Bytes from the peer (already decrypted).
  virtual void onData(const char* data, size_t len) = 0;
  // The peer closed its sending side.
  virtual void onEof() = 0;
  // The transport flushed everything queued.
  virtual void onDrained() = 0;
  // Graceful stop: close now if idle, else after the exchanges in flight.
  virtual void shutdown() = 0;
  [[nodiscard]] virtual bool idle() const = 0;
  // Between requests with nothing buffered, nothing scheduled and no state a fresh session
  // would lack: the connection may destroy it and make a new one when bytes arrive.
  [[nodiscard]] virtual bool dormant() const { return false; }
  // The connection has been idle for a moment but the session stays (it is not dormant):
  // give back memory kept for the next request.
  virtual void trim() {}
  virtual void setPeer(const PeerInfo& peer) = 0;
  // Every exchange in flight (a reload checks whether its site is still served).
  virtual void forEachExchange(const std::function<void(runtime::Exchange&)>& fn) = 0;
};

}  // namespace gatehouse::http
