#pragma once
// One worker: a thread running its own libuv loop, its own SO_REUSEPORT listeners and the
// connections they accept. Workers share only the immutable runtime snapshot.

#include <uv.h>

#include <array>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/http_date.h"
#include "provision/runtime.h"
#include "router/site_router.h"
#include "server/connection.h"

namespace gatehouse::server {

// A listening socket for one server, already bound (see listen_socket.h).
struct WorkerSocket {
  int fd = -1;
  size_t serverIndex = 0;
};

class Worker final : public ConnectionOwner {
 public:
  // Takes ownership of the socket descriptors. Main thread.
  Worker(std::shared_ptr<const provision::Runtime> runtime, std::vector<WorkerSocket> sockets);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Thread-safe: asks the loop to stop accepting and to finish in-flight requests.
  void stop();
  void join();

  // ConnectionOwner (loop thread)
  uv_loop_t* loop() override { return &loop_; }
  uv_buf_t readBuffer() override { return uv_buf_init(readBuf_.data(), static_cast<unsigned>(readBuf_.size())); }
  http::DateCache& dates() override { return dates_; }
  runtime::WorkerState& workerState() override { return *state_; }
  void onConnectionClosed(Connection& c) override;

 private:
  struct Listener {
    uv_tcp_t tcp{};
    Worker* worker = nullptr;
    size_t serverIndex = 0;
  };

  static void onConnection(uv_stream_t* server, int status);
  static void onStop(uv_async_t* a);
  static void onGrace(uv_timer_t* t);

  void run();
  void beginShutdown();

  std::shared_ptr<const provision::Runtime> runtime_;
  uv_loop_t loop_{};
  uv_async_t stopAsync_{};
  uv_timer_t graceTimer_{};
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<router::SiteRouter>> routers_;  // one per server
  // Declared after the loop and before connections: handler state (upstream pools) must
  // outlive every connection's exchange, which may hold references into it.
  std::unique_ptr<runtime::WorkerState> state_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  http::DateCache dates_;
  std::array<char, 64 * 1024> readBuf_{};
  std::thread thread_;
  bool stopping_ = false;
};

}  // namespace gatehouse::server
