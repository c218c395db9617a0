#include "server/config_watcher.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "log/process_log.h"

namespace gatehouse::server {

namespace {
constexpr const char* kLogger = "watcher";

// The file's bytes; empty when it cannot be read (a change like any other).
std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) {
    text << in.rdbuf();
  }
  return text.str();
}
}  // namespace

ConfigWatcher::ConfigWatcher(std::string path, std::function<bool(std::string&)> reload)
    : path_(std::move(path)), reload_(std::move(reload)) {
  thread_ = std::thread([this] { run(); });
}

ConfigWatcher::~ConfigWatcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ConfigWatcher::run() {
  const config::Json file = {{"config_file", path_}};
  std::string last = contents(path_);
  log::logOwn(log::Level::Info, kLogger, "watching config file for changes", file);
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
    lock.unlock();
    std::string now = contents(path_);
    if (now != last) {
      last = std::move(now);
      log::logOwn(log::Level::Info, kLogger, "config file changed; reloading", file);
      std::string error;
      if (!reload_(error)) {
        log::logOwn(log::Level::Error, kLogger, "unable to load latest config",
                    {{"config_file", path_}, {"error", error}});
      }
    }
    lock.lock();
  }
}

}  // namespace gatehouse::server
