#pragma once
// Caddy's dynamic config loading (finishSettingUp in caddy 2.6.2): after a config is running,
// its admin.config.load fetches the next one and loads it as POST /load does. With a
// load_delay it waits first, and waits and tries again while the fetch fails, brings
// nothing or brings the running config; once a new config is running, that config's own
// loader (if any) takes over, which is how a server polls. Its own thread; the fetch and the
// load block there.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "admin/config_change.h"
#include "admin/config_loader_spec.h"

namespace gatehouse::admin {

class ConfigFetcher;
class ConfigSink;

class DynamicConfigLoader {
 public:
  explicit DynamicConfigLoader(ConfigSink& sink);
  ~DynamicConfigLoader();  // stops and joins
  DynamicConfigLoader(const DynamicConfigLoader&) = delete;
  DynamicConfigLoader& operator=(const DynamicConfigLoader&) = delete;

  // A config just started running: follow its loader, or none (a waiting loader stops, as
  // Caddy's ends with the config that started it).
  void follow(const std::optional<ConfigLoaderSpec>& spec);
  // Start-up with no load_delay: fetch now (blocking) and load the result; false with the
  // fetch's error, which stops the start as in Caddy (a failed load is only logged).
  bool loadAtStart(const ConfigLoaderSpec& spec, std::string& error);

 private:
  void run();
  // One pass of a loader; returns when it is done or superseded.
  void serve(const ConfigLoaderSpec& spec, unsigned generation);
  // Waits `d` unless superseded or stopped; false then.
  bool waitFor(std::chrono::nanoseconds d, unsigned generation);
  // "" when fetched, else the error; cancellable through stop().
  std::string fetch(const ConfigLoaderSpec& spec, std::string& json);
  // Loads as Caddy's runLoadedConfig; true when a new config now runs.
  bool apply(const ConfigLoaderSpec& spec, const std::string& json, bool& unchanged);

  ConfigChanger changer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<ConfigLoaderSpec> pending_;
  unsigned generation_ = 0;
  bool stopping_ = false;
  ConfigFetcher* fetching_ = nullptr;  // the fetch in flight, for stop()
  std::thread thread_;
};

}  // namespace gatehouse::admin
