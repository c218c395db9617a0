#include "server/server_group.h"

#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "gatehouse/config/site_graph.h"
#include "server/listen_socket.h"
#include "server/worker.h"

namespace gatehouse::server {

namespace {

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void logLine(config::Json fields) {
  config::Json line = config::Json::object();
  line["level"] = "info";
  line["ts"] = nowSeconds();
  for (auto& [k, v] : fields.items()) {
    line[k] = v;
  }
  std::cerr << config::dump(line, false) << std::endl;
}

// Owns the main loop's signal handles for the lifetime of serve().
struct SignalWatch {
  uv_loop_t loop{};
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  uv_async_t drained{};  // sent by the joiner thread once every worker has exited
  std::vector<std::unique_ptr<Worker>>* workers = nullptr;
  std::thread joiner;
  int received = 0;

  static void onDrained(uv_async_t* a) {
    auto* self = static_cast<SignalWatch*>(a->data);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->drained), nullptr);
  }

  static void onSignal(uv_signal_t* s, int signum) {
    auto* self = static_cast<SignalWatch*>(s->data);
    if (++self->received > 1) {
      // A second signal means "now": skip the grace period, as Caddy does.
      logLine({{"msg", "forced shutdown"}, {"signal", signum == SIGINT ? "SIGINT" : "SIGTERM"}});
      std::_Exit(1);
    }
    logLine({{"msg", "shutting down"}, {"signal", signum == SIGINT ? "SIGINT" : "SIGTERM"}});
    for (auto& w : *self->workers) {
      w->stop();
    }
    // Join off the loop, so a second signal is still seen while workers drain.
    self->joiner = std::thread([self] {
      for (auto& w : *self->workers) {
        w->join();
      }
      uv_async_send(&self->drained);
    });
  }
};

}  // namespace

int serve(std::shared_ptr<const provision::Runtime> runtime, const RunOptions& options) {
  unsigned count = options.workers != 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::vector<WorkerSocket>> perWorker(count);
  config::Json addresses = config::Json::array();
  std::string error;
  // Start-up failed: close every socket bound so far, so none is left listening.
  auto fail = [&](const std::string& name) {
    std::cerr << "Error: apps.http.servers." << name << ": " << error << "\n";
    for (auto& ws : perWorker) {
      for (auto& s : ws) {
        ::close(s.fd);
      }
    }
    return 1;
  };
  for (size_t si = 0; si < runtime->servers.size(); ++si) {
    const auto& srv = *runtime->servers[si];
    config::Json serverAddrs = config::Json::array();
    for (const auto& spec : srv.listen) {
      BoundSocket first = openListenSocket(spec, spec.port, error);
      if (first.fd < 0) {
        return fail(srv.name);
      }
      perWorker[0].push_back(WorkerSocket{first.fd, si});
      for (unsigned w = 1; w < count; ++w) {
        BoundSocket more = openListenSocket(spec, first.port, error);
        if (more.fd < 0) {
          return fail(srv.name);
        }
        perWorker[w].push_back(WorkerSocket{more.fd, si});
      }
      serverAddrs.push_back(first.address);
      addresses.push_back(first.address);
    }
    logLine({{"logger", "http"}, {"msg", "server running"}, {"name", srv.name}, {"protocols", {"h1"}},
             {"addresses", serverAddrs}});
  }

  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned w = 0; w < count; ++w) {
    workers.push_back(std::make_unique<Worker>(runtime, std::move(perWorker[w])));
  }
  SignalWatch watch;
  uv_loop_init(&watch.loop);
  watch.workers = &workers;
  uv_signal_init(&watch.loop, &watch.sigint);
  uv_signal_init(&watch.loop, &watch.sigterm);
  watch.sigint.data = &watch;
  watch.sigterm.data = &watch;
  uv_signal_start(&watch.sigint, &SignalWatch::onSignal, SIGINT);
  uv_signal_start(&watch.sigterm, &SignalWatch::onSignal, SIGTERM);
  uv_async_init(&watch.loop, &watch.drained, &SignalWatch::onDrained);
  watch.drained.data = &watch;

  for (auto& w : workers) {
    w->start();
  }
  logLine({{"msg", "serving initial configuration"}, {"workers", count}, {"addresses", addresses}});

  uv_run(&watch.loop, UV_RUN_DEFAULT);  // until a signal stopped the workers and they exited
  if (watch.joiner.joinable()) {
    watch.joiner.join();
  }
  uv_loop_close(&watch.loop);
  workers.clear();
  logLine({{"msg", "shutdown complete"}, {"exit_code", 0}});
  return 0;
}

}  // namespace gatehouse::server
