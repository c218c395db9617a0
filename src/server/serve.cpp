// serve(): the process's main thread. Starts the server group and the admin endpoint, then
// waits on signals: SIGINT/SIGTERM stop gracefully, after the config's shutdown_delay (as
// caddy 2.6.2: a second SIGINT quits at once with exit code 2, a later SIGTERM waits for the
// stop under way), SIGUSR1 reloads the config file.

#include <openssl/crypto.h>
#include <signal.h>
#include <uv.h>

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "admin/admin_server.h"
#include "admin/config_autosave.h"
#include "admin/dynamic_config.h"
#include "log/process_log.h"
#include "metrics/http_metrics.h"
#include "server/config_reloader.h"
#include "server/config_watcher.h"
#include "server/memory_policy.h"
#include "server/open_file_limit.h"
#include "server/pid_file.h"
#include "server/server_group.h"

namespace gatehouse::server {

namespace {

// The admin API's way to stop the main loop as SIGTERM does, from its pool thread; safe
// while the loop closes its handles (a late knock is dropped).
struct StopDoor {
  uv_async_t async{};
  std::mutex mu;
  bool open = false;
  void knock() {
    std::lock_guard lock(mu);
    if (open) {
      uv_async_send(&async);
    }
  }
  void close() {
    std::lock_guard lock(mu);
    open = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&async), nullptr);
  }
};

// The admin endpoint's view of the running server.
class AdminSink final : public admin::ConfigSink {
 public:
  AdminSink(ConfigReloader& reloader, StopDoor& stopDoor) : reloader_(reloader), stopDoor_(stopDoor) {}
  bool loadConfig(const config::Json& cfg, std::string& error) override {
    bool ok = reloader_.loadJson(cfg, error);
    // Logged by its callers, as caddy 2.6.2: POST /load's "load complete" or "request
    // error", the dynamic loader's config_loader lines.
    return ok;
  }
  [[nodiscard]] config::Json currentConfig() const override { return reloader_.currentConfig(); }
  void stop() override { stopDoor_.knock(); }
  [[nodiscard]] std::shared_ptr<proxy::UpstreamStats> upstreamStats() const override {
    auto running = reloader_.running();
    return running ? running->upstreamStats : nullptr;
  }
  [[nodiscard]] std::string httpMetrics() const override {
    auto running = reloader_.running();
    return running && running->metrics ? running->metrics->exposition() : std::string();
  }

 private:
  ConfigReloader& reloader_;
  StopDoor& stopDoor_;
};

// Owns the main loop's handles for the lifetime of serve().
struct SignalWatch {
  uv_loop_t loop{};
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  uv_signal_t sigusr1{};
  uv_async_t drained{};  // sent by the joiner thread once every worker has exited
  uv_timer_t delay{};    // shutdown_delay: the servers go on serving until it fires
  StopDoor stopDoor;     // the admin API's POST /stop
  uv_work_t reloadWork{};
  ServerGroup* group = nullptr;
  ConfigReloader* reloader = nullptr;
  std::thread joiner;
  int received = 0;    // stop requests (signals, POST /stop)
  int interrupts = 0;  // SIGINTs
  bool reloading = false;
  bool reloadAgain = false;
  bool reloadOk = false;
  std::string reloadError;
  // Who stopped the process, as caddy 2.6.2 says it in "exiting" and "shutdown complete":
  // {"signal": name} for a signal, {"logger": "admin.api"} for POST /stop.
  config::Json stoppedBy = config::Json::object();

  // caddy 2.6.2's exitProcess: a warning, then the apps stop.
  void exiting(config::Json by) {
    stoppedBy = std::move(by);
    config::Json fields = stoppedBy;
    fields["msg"] = "exiting; byeee!! \xF0\x9F\x91\x8B";
    logLine(std::move(fields), "warn");
  }

  [[nodiscard]] config::Json shutdownComplete() const {
    config::Json fields = stoppedBy;
    fields["msg"] = "shutdown complete";
    fields["exit_code"] = 0;
    return fields;
  }

  static void onDrained(uv_async_t* a) {
    auto* self = static_cast<SignalWatch*>(a->data);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->sigusr1), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->drained), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->delay), nullptr);
    self->stopDoor.close();
  }

  static void onStopRequest(uv_async_t* a) {
    auto* self = static_cast<SignalWatch*>(a->data);
    if (self->received > 0) {
      return;  // already stopping
    }
    ++self->received;
    self->exiting({{"logger", "admin.api"}});
    self->beginStop();
  }

  static void onSignal(uv_signal_t* s, int signum) {
    auto* self = static_cast<SignalWatch*>(s->data);
    const char* name = signum == SIGINT ? "SIGINT" : "SIGTERM";
    if (signum == SIGINT && ++self->interrupts > 1) {
      // A second SIGINT means "now": skip the delay and the grace period, as Caddy does.
      logLine({{"msg", "force quit"}, {"signal", name}}, "warn");
      log::flushProcessLog();
      std::_Exit(2);
    }
    if (self->received++ > 0) {
      return;  // as Caddy: a later signal waits for the stop under way
    }
    logLine({{"msg", signum == SIGINT ? "shutting down" : "shutting down apps, then terminating"},
             {"signal", name}});
    self->exiting({{"signal", name}});
    self->beginStop();
  }

  // Servers scheduled to stop go on serving for the shutdown_delay, then stop gracefully.
  void beginStop() {
    const auto wait = group->scheduleShutdown();
    if (wait.count() <= 0) {
      stopWorkers();
      return;
    }
    delay.data = this;
    uv_timer_start(
        &delay, [](uv_timer_t* t) { static_cast<SignalWatch*>(t->data)->stopWorkers(); },
        static_cast<uint64_t>(wait.count()), 0);
  }

  void stopWorkers() {
    SignalWatch* self = this;
    self->group->stop();
    // Join off the loop, so a second signal is still seen while workers drain.
    self->joiner = std::thread([self] {
      self->group->join();
      uv_async_send(&self->drained);
    });
  }

  static void onReloadSignal(uv_signal_t* s, int /*signum*/) {
    auto* self = static_cast<SignalWatch*>(s->data);
    if (self->received > 0) {
      return;  // stopping
    }
    if (self->reloading) {
      self->reloadAgain = true;  // the file may have changed again since this load began
      return;
    }
    self->startReload();
  }

  void startReload() {
    logLine({{"msg", "reloading config"}, {"signal", "SIGUSR1"}});
    reloading = true;
    reloadWork.data = this;
    // Loading and provisioning read files and bind sockets: keep them off this loop.
    uv_queue_work(
        &loop, &reloadWork,
        [](uv_work_t* w) {
          auto* self = static_cast<SignalWatch*>(w->data);
          self->reloadError.clear();
          self->reloadOk = self->reloader->reloadFile(self->reloadError);
          OPENSSL_thread_stop();  // pool threads outlive the work: free OpenSSL's per-thread state
        },
        [](uv_work_t* w, int /*status*/) {
          auto* self = static_cast<SignalWatch*>(w->data);
          self->reloading = false;
          if (!self->reloadOk) {
            logLine({{"msg", "reload rejected; the running config stays"}, {"error", self->reloadError}},
                    "error");
          }
          if (self->reloadAgain && self->received == 0) {
            self->reloadAgain = false;
            self->startReload();
          }
        });
  }
};

}  // namespace

int serve(std::shared_ptr<const provision::Runtime> runtime, const RunOptions& options) {
  returnLargeBlocksToSystem();
  raiseOpenFileLimit();
  const unsigned count =
      options.workers != 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  const provision::AdminSpec adminSpec = runtime->admin;
  const bool adminExplicit = !runtime->source.is_null() && runtime->source.contains("admin");
  ServerGroup group(count);
  ConfigReloader reloader(group, options.configPath, options.adapter);

  // Signals first: a SIGINT that arrives as soon as the startup line is out must stop the
  // server gracefully, not kill it.
  SignalWatch watch;
  uv_loop_init(&watch.loop);
  AdminSink sink(reloader, watch.stopDoor);
  watch.group = &group;
  watch.reloader = &reloader;
  uv_signal_init(&watch.loop, &watch.sigint);
  uv_signal_init(&watch.loop, &watch.sigterm);
  uv_signal_init(&watch.loop, &watch.sigusr1);
  watch.sigint.data = &watch;
  watch.sigterm.data = &watch;
  watch.sigusr1.data = &watch;
  uv_signal_start(&watch.sigint, &SignalWatch::onSignal, SIGINT);
  uv_signal_start(&watch.sigterm, &SignalWatch::onSignal, SIGTERM);
  uv_signal_start(&watch.sigusr1, &SignalWatch::onReloadSignal, SIGUSR1);
  uv_timer_init(&watch.loop, &watch.delay);
  uv_async_init(&watch.loop, &watch.drained, &SignalWatch::onDrained);
  watch.drained.data = &watch;
  uv_async_init(&watch.loop, &watch.stopDoor.async, &SignalWatch::onStopRequest);
  watch.stopDoor.async.data = &watch;
  watch.stopDoor.open = true;
  auto abandon = [&watch] {
    SignalWatch::onDrained(&watch.drained);  // closes the handles
    uv_run(&watch.loop, UV_RUN_DEFAULT);
    uv_loop_close(&watch.loop);
    return 1;
  };

  std::string error;
  auto started = runtime;
  if (!group.start(std::move(runtime), error)) {
    std::cerr << "Error: " << error << "\n";
    return abandon();
  }
  // As Caddy: the listeners are up before any certificate is ordered, so the challenges
  // can be answered; handshakes for a name without its certificate fail until it arrives.
  provision::startCertificateManagement(*started);
  const config::Json startedSource = started->source;
  started.reset();
  PidFile pidFile(options.pidFile);
  std::unique_ptr<admin::AdminServer> adminServer;
  if (adminSpec.disabled) {
    logLine({{"logger", "admin"}, {"msg", "admin endpoint disabled"}}, "warn");  // as caddy
  } else {
    adminServer = std::make_unique<admin::AdminServer>(sink);
    if (adminServer->start(adminSpec.listen, adminSpec.access, error)) {
      logLine({{"logger", "admin"},
               {"msg", "admin endpoint started"},
               {"address", adminServer->boundAddress()},
               {"enforce_origin", adminSpec.access.enforceOrigin},
               {"origins", adminServer->guard().allowed()}});
    } else if (adminExplicit) {
      std::cerr << "Error: admin: " << error << "\n";
      adminServer.reset();
      group.stop();
      group.join();
      return abandon();
    } else {
      // The implicit default address is often taken (another instance, a test running in
      // parallel): serve without the endpoint rather than refuse to start.
      logLine({{"logger", "admin"}, {"msg", "admin endpoint disabled"}, {"error", error}}, "warn");
      adminServer.reset();
    }
  }
  // Every config that starts running is kept on disk for `run --resume`, as caddy does.
  const std::string autosaveFile = admin::autosavePath();
  auto autosave = [&autosaveFile](const config::Json& source) {
    if (admin::persistWanted(source)) {
      admin::autosaveConfig(source, autosaveFile);
    }
  };
  autosave(startedSource);
  // As Caddy's finishSettingUp: a config that names a loader fetches its successor; with no
  // load_delay at start-up a failed fetch ends the start.
  admin::DynamicConfigLoader dynamic(sink);
  reloader.onApplied([&dynamic, &autosave](const provision::Runtime& rt) {
    autosave(rt.source);
    dynamic.follow(rt.admin.loader);
  });
  if (adminSpec.loader && adminSpec.loader->delay.count() <= 0) {
    if (!dynamic.loadAtStart(*adminSpec.loader, error)) {
      std::cerr << "Error: loading initial config: loading new config: loading dynamic config from "
                   "*caddyconfig.HTTPLoader: "
                << error << "\n";
      reloader.onApplied(nullptr);
      adminServer.reset();
      group.stop();
      group.join();
      return abandon();
    }
  } else {
    dynamic.follow(adminSpec.loader);
  }
  std::optional<ConfigWatcher> watcher;
  if (options.watch && !options.configPath.empty()) {
    watcher.emplace(options.configPath,
                    [&reloader](std::string& reloadError) { return reloader.reloadFile(reloadError); });
  }
  group.logStarted();
  if (options.onServing && !options.onServing(group.startAddresses(), error)) {
    std::cerr << "Error: " << error << "\n";
    watcher.reset();
    reloader.onApplied(nullptr);
    adminServer.reset();
    group.stop();
    group.join();
    return abandon();
  }

  uv_run(&watch.loop, UV_RUN_DEFAULT);  // until a signal stopped the workers and they exited
  watcher.reset();
  if (watch.joiner.joinable()) {
    watch.joiner.join();
  }
  if (group.abandoned()) {
    // The grace period is over and some pool work (a template blocked on a pipe) never
    // ended: it cannot be cancelled and nothing waits for it. Exit without tearing down
    // what it may still touch, as Caddy exits after its grace period.
    logLine(watch.shutdownComplete());
    log::flushProcessLog();
    pidFile.remove();
    std::_Exit(0);
  }
  uv_loop_close(&watch.loop);
  reloader.onApplied(nullptr);
  adminServer.reset();  // before the reloader and group it points at
  logLine(watch.shutdownComplete());
  return 0;
}

}  // namespace gatehouse::server
