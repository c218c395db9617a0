#pragma once
// A minimal admin endpoint, the part of Caddy's admin API that `caddy reload` and config
// inspection use: POST /load (application/json or text/caddyfile) and GET /config/. It
// listens on loopback only, runs on its own thread and loop, and checks the Host header so
// a web page cannot drive it through DNS rebinding. Loading runs on the libuv thread pool,
// never on the admin loop.

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "admin/admin_guard.h"

namespace gatehouse::admin {

// What the endpoint controls. Both calls may block; they run on pool threads.
class ConfigSink {
 public:
  virtual ~ConfigSink() = default;
  virtual bool load(std::string_view body, std::string_view contentType, std::string& error) = 0;
  [[nodiscard]] virtual std::string currentConfig() const = 0;
};

class AdminConnection;

class AdminServer {
 public:
  explicit AdminServer(ConfigSink& sink);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds `address` ("localhost:2019", "127.0.0.1:0") and starts the thread. False with
  // `error` when the address is not loopback or cannot be bound. `access`: who may call it.
  bool start(const std::string& address, const AdminAccess& access, std::string& error);
  // The allowed origins as Caddy's start-up line lists them (after start).
  [[nodiscard]] const AdminGuard& guard() const { return *guard_; }
  [[nodiscard]] const std::string& boundAddress() const { return bound_; }
  [[nodiscard]] ConfigSink& sink() { return sink_; }
  [[nodiscard]] uv_loop_t* loop() { return &loop_; }
  void onConnectionClosed(AdminConnection* c);

 private:
  static void onConnection(uv_stream_t* server, int status);
  static void onStop(uv_async_t* a);

  ConfigSink& sink_;
  uv_loop_t loop_{};
  uv_tcp_t listener_{};
  uv_async_t stopAsync_{};
  std::unordered_map<AdminConnection*, std::unique_ptr<AdminConnection>> connections_;
  std::string bound_;
  std::optional<AdminGuard> guard_;
  std::thread thread_;
  bool stopping_ = false;
};

}  // namespace gatehouse::admin
