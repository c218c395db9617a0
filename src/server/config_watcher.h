#pragma once
// `run --watch`: polls the config file once a second and, when its bytes change, reloads it
// (as caddy's --watch, with its "watcher" log lines; a file that fails to load is reported
// and watched on). Meant for local development.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gatehouse::server {

class ConfigWatcher {
 public:
  // `reload` runs on the watcher's thread; it loads the file and says whether it worked.
  ConfigWatcher(std::string path, std::function<bool(std::string&)> reload);
  ~ConfigWatcher();
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

 private:
  void run();

  std::string path_;
  std::function<bool(std::string&)> reload_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gatehouse::server
