#pragma once
// One accepted TCP connection: owns the libuv handles (socket, timer) and the HTTP/1
// session, and implements the session's Transport. Freed by its Worker only after libuv
// has reported both handles closed. Loop-thread only.

#include <uv.h>

#include <string>

#include "http/http1_session.h"
#include "provision/runtime.h"

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
  virtual runtime::WorkerState& workerState() = 0;
  virtual void onConnectionClosed(Connection& c) = 0;
};

class Connection final : public http::Transport {
 public:
  Connection(ConnectionOwner& owner, const provision::ServerRuntime& server, http::RequestHandler& router);
  ~Connection() override = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Accepts the pending connection on `listener` and starts reading; false on failure
  // (the connection then closes itself).
  bool accept(uv_stream_t* listener);
  // Graceful stop: idle connections close now, busy ones after their response.
  void shutdown() { session_->shutdown(); }

  // Transport
  void write(std::string& bytes) override;
  void close(bool abort) override;
  void shutdownWrite() override;
  void pauseReading() override;
  void resumeReading() override;
  void setPhase(Phase phase) override;
  [[nodiscard]] bool drained() const override { return !writing_; }
  uv_loop_t* loop() override { return owner_.loop(); }
  runtime::WorkerState& worker() override { return owner_.workerState(); }

 private:
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onShutdown(uv_shutdown_t* req, int status);
  static void onTimer(uv_timer_t* t);
  static void onClose(uv_handle_t* h);

  void startWrite();
  void closeHandles();
  void armTimer(std::chrono::milliseconds ms);

  ConnectionOwner& owner_;
  const provision::ServerRuntime& server_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_write_t writeReq_{};
  uv_shutdown_t shutdownReq_{};
  std::unique_ptr<http::Session> session_;
  std::string inflight_;  // bytes handed to uv_write
  std::string queued_;    // bytes waiting for the write in flight
  bool writing_ = false;
  bool reading_ = false;
  bool closeAfterWrite_ = false;
  bool shutdownAfterWrite_ = false;
  bool lingering_ = false;  // write side shut; draining input before the final close
  bool handlesClosing_ = false;
  int openHandles_ = 0;
};

}  // namespace gatehouse::server
