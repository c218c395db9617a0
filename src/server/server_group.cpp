#include "server/server_group.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <set>
#include <thread>

#include "admin/unix_listen_path.h"
#include "gatehouse/config/site_graph.h"
#include "log/process_log.h"
#include "server/listen_socket.h"
#include "tls/server_tls.h"

namespace gatehouse::server {

namespace {

void closeAll(std::vector<WorkerSocket>& sockets) {
  for (auto& s : sockets) {
    ::close(s.fd);
  }
  sockets.clear();
}

// A unix listener's file goes with the listener, as Caddy 2.6.2 removes it at stop (only
// while it is still the file we bound: another server may have replaced it).
void removeSocketFile(admin::OwnedSocketFile& file) {
  file.remove();
}

}  // namespace

void logLine(config::Json fields, const char* level) {
  std::string logger;
  std::string msg;
  if (auto it = fields.find("logger"); it != fields.end()) {
    logger = it->get<std::string>();
    fields.erase(it);
  }
  if (auto it = fields.find("msg"); it != fields.end()) {
    msg = it->get<std::string>();
    fields.erase(it);
  }
  log::logOwn(log::parseLevel(level).value_or(log::Level::Info), logger, msg, std::move(fields));
}

std::vector<std::pair<std::string, size_t>> listenerKeys(const provision::Runtime& runtime) {
  std::vector<std::pair<std::string, size_t>> out;
  std::map<std::string, int> seen;
  for (size_t si = 0; si < runtime.servers.size(); ++si) {
    for (const auto& spec : runtime.servers[si]->listen) {
      const std::string base = spec.network + "/" + spec.host + ":" + std::to_string(spec.port);
      out.emplace_back(base + "#" + std::to_string(seen[base]++), si);
    }
  }
  return out;
}

std::vector<std::pair<std::string, size_t>> ServerGroup::resolveKeys(
    const provision::Runtime& runtime) const {
  auto keys = listenerKeys(runtime);
  std::set<std::string> claimed;
  for (const auto& [key, _] : keys) {
    claimed.insert(key);
  }
  size_t i = 0;
  for (const auto& srv : runtime.servers) {
    for (const auto& spec : srv->listen) {
      auto& key = keys[i++].first;
      if (spec.port == 0 || open_.count(key) != 0) {
        continue;
      }
      // A socket opened for "host:0" that the kernel bound to this very port: hand it over
      // instead of binding a second socket and closing the first, which would reset the
      // connections waiting in its accept queue.
      const std::string zeroPrefix = spec.network + "/" + spec.host + ":0#";
      for (const auto& [openKey, address] : open_) {
        const auto port = address.substr(address.rfind(':') + 1);
        if (openKey.starts_with(zeroPrefix) && claimed.count(openKey) == 0 &&
            port == std::to_string(spec.port)) {
          claimed.insert(openKey);
          key = openKey;
          break;
        }
      }
    }
  }
  return keys;
}

ServerGroup::ServerGroup(unsigned workers) : count_(workers) {}

ServerGroup::~ServerGroup() {
  stop();
  join();
  for (auto& w : workers_) {
    if (w->abandoned()) {
      (void)w.release();  // its loop may still be reported to by a pool thread: never freed
    }
  }
}

bool ServerGroup::abandoned() const {
  return std::any_of(workers_.begin(), workers_.end(), [](const auto& w) { return w->abandoned(); });
}

bool ServerGroup::bindNew(const provision::Runtime& runtime, std::map<std::string, Bound>& added,
                          std::string& error) {
  const auto keys = resolveKeys(runtime);
  size_t k = 0;
  for (size_t si = 0; si < runtime.servers.size(); ++si) {
    const auto& srv = *runtime.servers[si];
    for (const auto& spec : srv.listen) {
      const std::string key = keys[k++].first;
      if (open_.count(key) != 0) {
        continue;
      }
      Bound b;
      std::string err;
      BoundSocket first = openListenSocket(spec, spec.port, err);
      if (first.fd < 0) {
        error = "apps.http.servers." + srv.name + ": " + err;
        return false;
      }
      b.address = first.address;
      if (!spec.isUnix() && spec.port == 0) {  // as caddy: which port the kernel gave
        const bool v6 = spec.host.find(':') != std::string::npos;
        logLine({{"logger", "http"},
                 {"msg", "port 0 listener"},
                 {"input_address", (v6 ? "[" + spec.host + "]" : spec.host) + ":0"},
                 {"actual_address", first.address}});
      }
      b.perWorker.push_back(WorkerSocket{first.fd, si, key});
      if (spec.isUnix()) {
        b.unixFile.adopt(spec.host);
      }
      for (unsigned w = 1; w < count_; ++w) {
        // No SO_REUSEPORT for unix sockets: every loop polls the one socket (through its
        // own descriptor, so each worker closes what it owns) and whichever wakes accepts.
        BoundSocket more = spec.isUnix() ? BoundSocket{::fcntl(first.fd, F_DUPFD_CLOEXEC, 0), 0, b.address}
                                         : openListenSocket(spec, first.port, err);
        if (spec.isUnix() && more.fd < 0) {
          err = "listening on " + spec.original + ": dup: " + std::strerror(errno);
        }
        if (more.fd < 0) {
          closeAll(b.perWorker);
          removeSocketFile(b.unixFile);
          error = "apps.http.servers." + srv.name + ": " + err;
          return false;
        }
        b.perWorker.push_back(WorkerSocket{more.fd, si, key});
      }
      added.emplace(key, std::move(b));
    }
  }
  return true;
}

config::Json ServerGroup::logServers(const provision::Runtime& runtime, const char* msg) {
  config::Json addresses = config::Json::array();
  const auto keys = resolveKeys(runtime);
  size_t k = 0;
  for (const auto& srv : runtime.servers) {
    config::Json serverAddrs = config::Json::array();
    for (size_t i = 0; i < srv->listen.size(); ++i) {
      auto it = open_.find(keys[k++].first);
      if (it != open_.end()) {
        serverAddrs.push_back(it->second);
        addresses.push_back(it->second);
      }
    }
    config::Json protocols = config::Json::array({"h1"});
    if (srv->tls &&
        std::find(srv->tls->alpn().begin(), srv->tls->alpn().end(), "h2") != srv->tls->alpn().end()) {
      protocols.push_back("h2");
    }
    logLine({{"logger", "http.log"},
             {"msg", "server running"},
             {"name", srv->name},
             {"protocols", protocols},
             {"tls", srv->tls != nullptr},
             {"addresses", serverAddrs}});
  }
  if (msg != nullptr) {
    logLine({{"msg", msg}, {"workers", count_}, {"addresses", addresses}});
  }
  return addresses;
}

void ServerGroup::logStarted() {
  // Printed last, once signals and the admin endpoint are up: scripts wait for this line.
  logLine({{"msg", "serving initial configuration"}, {"workers", count_}, {"addresses", startAddresses_}});
}

bool ServerGroup::start(std::shared_ptr<const provision::Runtime> runtime, std::string& error) {
  std::lock_guard lock(reloadMu_);
  std::map<std::string, Bound> added;
  if (!bindNew(*runtime, added, error)) {
    for (auto& [_, b] : added) {
      closeAll(b.perWorker);
      removeSocketFile(b.unixFile);
    }
    return false;
  }
  std::vector<std::vector<WorkerSocket>> perWorker(count_);
  for (auto& [key, b] : added) {
    for (unsigned w = 0; w < count_; ++w) {
      perWorker[w].push_back(b.perWorker[w]);
    }
    open_.emplace(key, b.address);
    unixFiles_.emplace(key, b.unixFile);  // owns no file unless a unix listener
  }
  for (unsigned w = 0; w < count_; ++w) {
    workers_.push_back(std::make_unique<Worker>(runtime, std::move(perWorker[w])));
  }
  for (auto& w : workers_) {
    w->start();
  }
  log::installProcessLog(runtime->logs);  // own messages follow the config's default log
  startAddresses_ = logServers(*runtime, nullptr);
  setCurrent(std::move(runtime));
  return true;
}

bool ServerGroup::reload(std::shared_ptr<const provision::Runtime> runtime, std::string& error,
                         const std::function<void()>& serving) {
  std::lock_guard lock(reloadMu_);
  if (closing_) {
    error = "the server is shutting down";
    return false;
  }
  std::map<std::string, Bound> added;
  if (!bindNew(*runtime, added, error)) {
    for (auto& [_, b] : added) {
      closeAll(b.perWorker);
      removeSocketFile(b.unixFile);
    }
    return false;
  }
  // Which keys stay, and the server index each now belongs to.
  const auto keep = resolveKeys(*runtime);
  const auto previous = current();
  const auto delay = previous ? scheduleStop(*previous) : std::chrono::milliseconds(0);
  std::vector<std::future<void>> applied;
  for (unsigned w = 0; w < count_; ++w) {
    WorkerReload change;
    change.runtime = runtime;
    change.keep = keep;
    change.retireLater = delay.count() > 0;
    for (auto& [key, b] : added) {
      change.added.push_back(b.perWorker[w]);
    }
    applied.push_back(change.applied.get_future());
    workers_[w]->reload(std::move(change));
  }
  // Like Caddy's /load, return once every worker serves the new config, so the caller's
  // next request sees it. Bounded: a wedged worker must not hang the admin endpoint.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto& f : applied) {
    f.wait_until(deadline);
  }
  for (auto& [key, b] : added) {
    open_.emplace(key, b.address);
    unixFiles_.emplace(key, b.unixFile);  // owns no file unless a unix listener
  }
  log::installProcessLog(runtime->logs);
  logServers(*runtime, "serving reloaded configuration");
  setCurrent(runtime);
  if (serving) {
    serving();
  }
  if (delay.count() > 0) {
    waitOutDelay(delay);
    for (auto& w : workers_) {
      w->retire();
    }
  }
  auto dropped = [&](const auto& kv) {
    return std::none_of(keep.begin(), keep.end(), [&](const auto& k) { return k.first == kv.first; });
  };
  std::erase_if(open_, dropped);
  for (auto it = unixFiles_.begin(); it != unixFiles_.end();) {
    if (dropped(*it)) {
      removeSocketFile(it->second);
      it = unixFiles_.erase(it);
    } else {
      ++it;
    }
  }
  return true;
}

std::chrono::milliseconds ServerGroup::scheduleShutdown() {
  closing_ = true;
  auto running = current();
  return running ? scheduleStop(*running) : std::chrono::milliseconds(0);
}

std::chrono::milliseconds ServerGroup::scheduleStop(const provision::Runtime& runtime) {
  const auto delay = runtime.shutdownDelay;
  if (delay.count() <= 0) {
    return std::chrono::milliseconds(0);
  }
  const auto at = std::chrono::steady_clock::now() + delay;
  bool any = false;
  for (const auto& srv : runtime.servers) {
    for (const auto& spec : srv->listen) {
      logLine({{"logger", "http"},
               {"msg", "listener closing and shutdown delay is configured"},
               {"address", spec.original}},
              "debug");
      srv->shutdown.schedule(at);
      any = true;
    }
  }
  if (!any) {
    return std::chrono::milliseconds(0);
  }
  const auto wallAt = std::chrono::system_clock::now() + delay;
  logLine({{"logger", "http"},
           {"msg", "shutdown scheduled"},
           {"delay_duration", std::chrono::duration<double>(delay).count()},
           {"time", std::chrono::duration<double>(wallAt.time_since_epoch()).count()}},
          "debug");
  return delay;
}

void ServerGroup::waitOutDelay(std::chrono::milliseconds delay) {
  std::unique_lock lock(delayMu_);
  delayCv_.wait_for(lock, delay, [this] { return stopped_; });
}

std::shared_ptr<const provision::Runtime> ServerGroup::current() const {
  std::lock_guard lock(currentMu_);
  return current_;
}

void ServerGroup::setCurrent(std::shared_ptr<const provision::Runtime> runtime) {
  std::lock_guard lock(currentMu_);
  current_ = std::move(runtime);
}

void ServerGroup::stop() {
  {
    std::lock_guard lock(delayMu_);
    stopped_ = true;
  }
  delayCv_.notify_all();
  for (auto& w : workers_) {
    w->stop();
  }
}

void ServerGroup::join() {
  for (auto& w : workers_) {
    w->join();
  }
  std::lock_guard lock(reloadMu_);
  for (auto& [_, file] : unixFiles_) {
    removeSocketFile(file);
  }
  unixFiles_.clear();
}

}  // namespace gatehouse::server
