#pragma once
// Binds every server's listeners, starts the workers and runs until SIGINT/SIGTERM, then
// stops gracefully. SIGUSR1 and the admin endpoint's POST /load reload the config without
// closing listeners whose address stays. Main thread, except where noted.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "admin/unix_listen_path.h"
#include "provision/runtime.h"
#include "server/worker.h"

namespace gatehouse::server {

struct RunOptions {
  unsigned workers = 0;  // 0: one per core
  // The config file and adapter SIGUSR1 reloads from.
  std::string configPath;
  std::string adapter;
  bool watch = false;   // --watch: reload configPath when it changes
  std::string pidFile;  // --pidfile
  // Runs once the startup line is out, with every bound address in config order ("Server
  // address" lines of `respond`, the pingback of `run --pingback`). False, with `error`,
  // stops the servers and ends the process with exit code 1.
  std::function<bool(const config::Json& addresses, std::string& error)> onServing;
};

// The running workers and their listeners. reload() and current() are thread-safe (the
// admin endpoint calls them from its own thread).
class ServerGroup {
 public:
  explicit ServerGroup(unsigned workers);
  ~ServerGroup();
  ServerGroup(const ServerGroup&) = delete;
  ServerGroup& operator=(const ServerGroup&) = delete;

  // Binds and starts. False with `error` ("apps.http.servers.srv0: listening on ...").
  bool start(std::shared_ptr<const provision::Runtime> runtime, std::string& error);
  // Binds the new addresses first, so a failure leaves the running config untouched.
  // `serving` runs once the new config serves. When the running config has a
  // shutdown_delay, its servers are scheduled to stop (as caddy 2.6.2 does on every reload:
  // it counts each old listener as closing) and keep serving their dropped listeners and
  // open connections for the delay, while new connections on kept and added listeners get
  // the new config; reload() returns once the delay is over, as Caddy's /load does.
  bool reload(std::shared_ptr<const provision::Runtime> runtime, std::string& error,
              const std::function<void()>& serving = {});
  // Process stop, first step: schedules every server of the running config to stop after
  // its shutdown_delay ({http.shutting_down} turns true) and returns the delay (zero when
  // there is none); the caller keeps serving that long, then calls stop(). Reloads are
  // refused from now on.
  std::chrono::milliseconds scheduleShutdown();
  [[nodiscard]] std::shared_ptr<const provision::Runtime> current() const;
  // The "serving initial configuration" line with the addresses start() bound.
  void logStarted();
  [[nodiscard]] const config::Json& startAddresses() const { return startAddresses_; }
  void stop();
  void join();
  // After join(): a worker's grace period ended with pool work still running (see
  // Worker::abandoned()); the caller exits the process without destroying the group.
  [[nodiscard]] bool abandoned() const;
  [[nodiscard]] unsigned workerCount() const { return count_; }

 private:
  struct Bound {
    std::vector<WorkerSocket> perWorker;  // one socket per worker, all on one address
    std::string address;                  // "127.0.0.1:8443"
    admin::OwnedSocketFile unixFile;      // a unix listener's socket file (else owns none)
  };
  // listenerKeys(), except that an address already open under another key keeps that key.
  [[nodiscard]] std::vector<std::pair<std::string, size_t>> resolveKeys(
      const provision::Runtime& runtime) const;
  // Opens sockets for every listen address of `runtime` not already in `open_`.
  bool bindNew(const provision::Runtime& runtime, std::map<std::string, Bound>& added, std::string& error);
  // "server running" per server, then `msg` with every address (unless null); returns the
  // addresses.
  config::Json logServers(const provision::Runtime& runtime, const char* msg);
  void setCurrent(std::shared_ptr<const provision::Runtime> runtime);
  // Schedules `runtime`'s servers to stop in its shutdown_delay and logs it; returns the
  // delay, or zero when it has none (or no server listens).
  std::chrono::milliseconds scheduleStop(const provision::Runtime& runtime);
  // Sleeps `delay`, cut short by stop().
  void waitOutDelay(std::chrono::milliseconds delay);

  unsigned count_;
  // Serialises start and reloads (binding, handing changes to workers, waiting for them);
  // guards open_.
  std::mutex reloadMu_;
  // Guards current_ only, so current() never waits behind a reload in progress.
  mutable std::mutex currentMu_;
  std::shared_ptr<const provision::Runtime> current_;
  std::map<std::string, std::string> open_;                  // listener key -> bound address
  std::map<std::string, admin::OwnedSocketFile> unixFiles_;  // listener key -> file removed with it
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<bool> closing_{false};  // scheduleShutdown() ran: no more reloads
  std::mutex delayMu_;                // guards stopped_, for waitOutDelay
  std::condition_variable delayCv_;
  bool stopped_ = false;
  config::Json startAddresses_;
};

// Listener identities across reloads, in config order, each with its server index:
// "tcp/127.0.0.1:8443#0" as configured (port 0 included); the suffix counts repeats, so
// two servers on "127.0.0.1:0" get two sockets, and keep them across a reload.
std::vector<std::pair<std::string, size_t>> listenerKeys(const provision::Runtime& runtime);

// Returns the process exit code. Prints the startup line
// {"level":"info",...,"msg":"serving initial configuration","addresses":[...]} on stderr
// once every listener is bound and signals and the admin endpoint are being handled.
int serve(std::shared_ptr<const provision::Runtime> runtime, const RunOptions& options);

// One JSON log line on stderr, Caddy style.
void logLine(config::Json fields, const char* level = "info");

}  // namespace gatehouse::server
