#pragma once
// Caddy 2.6.2's admin API (api_router.cpp lists the endpoints). It listens on loopback
// or on a unix socket ("unix//path", unix_listen_path.h) only, runs on its own thread and loop, and checks
// the Host header so a web page cannot drive it through DNS rebinding. Endpoints run on the libuv thread pool
// (a change loads a config), never on the admin loop.

#include <uv.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "admin/admin_guard.h"
#include "admin/admin_metrics.h"
#include "admin/config_change.h"
#include "admin/unix_listen_path.h"
#include "gatehouse/config/site_graph.h"

namespace gatehouse::proxy {
class UpstreamStats;
}

namespace gatehouse::admin {

// What the endpoint controls. Calls may block; they run on pool threads.
class ConfigSink {
 public:
  virtual ~ConfigSink() = default;
  // Loads a Caddy JSON config (with its @id members) as a reload; false with `error`.
  virtual bool loadConfig(const config::Json& config, std::string& error) = 0;
  // The running config as loaded (null before any).
  [[nodiscard]] virtual config::Json currentConfig() const = 0;
  // Stops the process gracefully, as SIGTERM does.
  virtual void stop() = 0;
  // The running config's HTTP metrics (Prometheus text; "" when nothing collects them).
  [[nodiscard]] virtual std::string httpMetrics() const = 0;
  // The process's upstream registry (null before any config).
  [[nodiscard]] virtual std::shared_ptr<proxy::UpstreamStats> upstreamStats() const = 0;
  // Held across a read-modify-write of the config: every ConfigChanger (the admin API's, the
  // dynamic loader's) takes this one, so their changes never interleave.
  [[nodiscard]] std::mutex& changeMutex() { return changeMutex_; }

 private:
  std::mutex changeMutex_;
};

class AdminConnection;

class AdminServer {
 public:
  explicit AdminServer(ConfigSink& sink);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds `address` ("localhost:2019", "127.0.0.1:0", "unix//run/admin.sock") and starts the
  // thread. False with `error` when the address is not loopback or cannot be bound.
  // `access`: who may call it.
  bool start(const std::string& address, const AdminAccess& access, std::string& error);
  // The allowed origins as Caddy's start-up line lists them (after start).
  [[nodiscard]] const AdminGuard& guard() const { return *guard_; }
  // The address as Caddy's start-up line gives it: as configured, or the bound one for port 0.
  [[nodiscard]] const std::string& boundAddress() const { return bound_; }
  [[nodiscard]] ConfigSink& sink() { return sink_; }
  [[nodiscard]] ConfigChanger& changer() { return changer_; }
  [[nodiscard]] AdminMetrics& metrics() { return metrics_; }
  [[nodiscard]] uv_loop_t* loop() { return &loop_; }
  [[nodiscard]] bool onUnixSocket() const { return unix_; }
  void onConnectionClosed(AdminConnection* c);

 private:
  static void onConnection(uv_stream_t* server, int status);
  static void onStop(uv_async_t* a);
  bool bindTcp(const std::string& address, const AdminAccess& access, std::string& error);
  bool bindUnix(const std::string& path, std::string& error);

  ConfigSink& sink_;
  ConfigChanger changer_;
  AdminMetrics metrics_;
  uv_loop_t loop_{};
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } listener_{};
  bool listenerOpen_ = false;
  bool unix_ = false;
  OwnedSocketFile socketFile_;
  uv_async_t stopAsync_{};
  std::unordered_map<AdminConnection*, std::unique_ptr<AdminConnection>> connections_;
  std::string bound_;
  std::optional<AdminGuard> guard_;
  std::thread thread_;
  bool stopping_ = false;
};

}  // namespace gatehouse::admin
