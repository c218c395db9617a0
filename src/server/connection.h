#pragma once
// One accepted TCP connection: owns the libuv handles (socket, timer), the TLS stream when
// the server has TLS, and the protocol session (made by http::makeSession once the
// protocol is known), and implements the session's Transport. Freed by its Worker only
// after libuv has reported both handles closed. Loop-thread only.
//
// Memory: an idle keep-alive connection keeps only its socket, its timer and the facts
// about its peer. The HTTP/1.1 session is dropped once it has been dormant (see Session)
// for kParkDelayMs and made again when the next request arrives; its per-request state lives in the worker's
// Http1ScratchPool; write state (uv_write_t, queued bytes) exists only while bytes wait for
// the socket; TLS ciphertext passes through one per-worker buffer.
//
// Implemented in connection.cpp (lifecycle, reading), connection_write.cpp,
// connection_tls.cpp and connection_timer.cpp.

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "http/http1_session.h"
#include "http/session.h"
#include "provision/runtime.h"
#include "server/http_redirect.h"
#include "tls/tls_stream.h"

namespace gatehouse::server {

class Connection;

// What a connection needs from its worker.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  virtual uv_loop_t* loop() = 0;
  // One read buffer per loop: libuv fills it and the read callback consumes it at once.
  virtual uv_buf_t readBuffer() = 0;
  virtual http::DateCache& dates() = 0;
  virtual http::Http1ScratchPool& http1ScratchPool() = 0;
  // One per loop: TLS output is taken into it and written (or moved to a connection's
  // write state) before anything else can use it.
  virtual std::string& cipherScratch() = 0;
  virtual runtime::WorkerState& workerState() = 0;
  virtual void onConnectionClosed(Connection& c) = 0;
};

// The config generation a connection was accepted under; the connection keeps it alive, so
// a reload never pulls routes or TLS settings from under a request in flight.
class Generation {
 public:
  virtual ~Generation() = default;
};

class Connection final : public http::Transport {
 public:
  Connection(ConnectionOwner& owner, std::shared_ptr<Generation> generation,
             const provision::ServerRuntime& server, http::RequestHandler& router);
  ~Connection() override = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Accepts the pending connection on `listener` and starts reading; false on failure
  // (the connection then closes itself).
  bool accept(uv_stream_t* listener);
  // Graceful stop: idle connections close now, busy ones after their response.
  void shutdown();
  // A reload: `next` is the new config's server on this connection's listener (null when
  // the listener closed). Exchanges in flight whose site `next` no longer serves are told
  // (PendingWork::siteRemoved); the others, open streams included, go on; then shutdown().
  void reloaded(const provision::ServerRuntime* next);
  // The config generation the connection was accepted under.
  [[nodiscard]] const Generation* generation() const { return generation_.get(); }
  // The server of the newest config that still serves this connection's listener.
  [[nodiscard]] const provision::ServerRuntime* liveServer() const { return liveServer_; }

  // Transport
  void write(std::string& bytes) override;
  void writeCopy(std::string_view bytes) override;
  void close(bool abort) override;
  void shutdownWrite() override;
  void pauseReading() override;
  void resumeReading() override;
  void setPhase(Phase phase) override;
  void bodyRead() override;
  void quiet(bool sessionTrims) override;
  [[nodiscard]] bool drained() const override { return !writing_; }
  uv_loop_t* loop() override { return owner_.loop(); }
  runtime::WorkerState& worker() override { return owner_.workerState(); }
  http::Http1ScratchPool* http1Scratch() override { return &owner_.http1ScratchPool(); }
  int sendfileSocket() override;
  [[nodiscard]] bool sessionReplaceable() const override;
  void replaceSession(std::unique_ptr<http::Session> next) override;

 private:
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onShutdown(uv_shutdown_t* req, int status);
  static void onTimer(uv_timer_t* t);
  static void onClose(uv_handle_t* h);

  // Exists while a write is queued or in flight, or once the write side is being shut.
  struct WriteState {
    uv_write_t req{};
    uv_shutdown_t shutdownReq{};
    std::string inflight;       // bytes handed to uv_write
    size_t inflightOffset = 0;  // of inflight, already taken by uv_try_write
    std::string queued;         // bytes waiting for the write in flight
  };
  WriteState& writeState();
  bool startShutdown();
  // Drops a dormant session (and idle write state); makes a session for new bytes.
  void parkIfDormant();
  void reviveSession();
  void sessionEof();

  void startWrite();
  void sendRaw(std::string& bytes);
  void onCipher(const char* data, size_t len);
  // The http_redirect wrapper's look at the first bytes (see http_redirect.h).
  void sniffRedirect(const char* data, size_t len);
  bool startTlsSession();
  void readPlain();
  void flushTls();
  void deliver(const char* data, size_t len);
  void closeHandles();
  bool goAwayOnIdle();
  void armTimer(std::chrono::milliseconds ms);
  void rearm(uint64_t now);

  ConnectionOwner& owner_;
  std::shared_ptr<Generation> generation_;
  const provision::ServerRuntime& server_;
  const provision::ServerRuntime* liveServer_;  // see liveServer()
  http::RequestHandler& router_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  std::unique_ptr<tls::TlsStream> tls_;            // null on cleartext listeners
  std::unique_ptr<HttpRedirectSniffer> redirect_;  // until the first bytes are judged
  http::PeerInfo peer_;
  // Null until the TLS handshake completes, and while parked (idle between requests).
  std::unique_ptr<http::Session> session_;
  std::unique_ptr<http::Session> retired_;  // replaced under its own stack; freed by the timer
  std::unique_ptr<WriteState> io_;
  static constexpr uint64_t kNever = UINT64_MAX;
  uint64_t deadline_ = kNever;       // loop time (ms) at which the connection times out: the earlier of
  uint64_t phaseDeadline_ = kNever;  // the current phase's own deadline
  uint64_t readDeadline_ = kNever;   // read_timeout while a request body arrives
  uint64_t requestStart_ = 0;        // loop time a request head began (read_timeout counts from it)
  uint64_t timerDue_ = 0;            // loop time the timer is armed for, when timerArmed_
  bool timerArmed_ = false;
  bool writing_ = false;
  bool shutdownSent_ = false;  // a uv_shutdown was issued: io_ must outlive the handle
  bool parked_ = false;        // session_ dropped while idle; the next bytes make a new one
  // A session idle this long is dropped (from the timer, never under its own frames).
  static constexpr uint64_t kParkDelayMs = 50;
  // A quiet tunnel's TLS buffers go after this long (a chatty WebSocket keeps them).
  static constexpr uint64_t kQuietDelayMs = 1000;
  uint64_t parkDue_ = 0;  // loop time to park at; 0: none
  bool reading_ = false;
  bool closeAfterWrite_ = false;
  bool shutdownAfterWrite_ = false;
  bool lingering_ = false;  // write side shut; draining input before the final close
  // The client's FIN came: libuv stopped reading, and there is nothing left to drain.
  bool peerEof_ = false;
  bool handlesClosing_ = false;
  bool gotRequestBytes_ = false;
  bool gotCipher_ = false;          // the first TLS bytes arrived
  bool shutdownRequested_ = false;  // stop/reload came before the first request
  bool idlePhase_ = false;          // the deadline is the idle timeout
  bool idleGoaway_ = false;         // an HTTP/2 session was told to stop at its idle timeout
  // From the idle timeout's GOAWAY notice to the close: the PING wait (2 s) and a flush.
  static constexpr std::chrono::milliseconds kIdleGoawayGuard{3000};
  int openHandles_ = 0;
};

}  // namespace gatehouse::server
