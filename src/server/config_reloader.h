#pragma once
// Turns a config (a file for SIGUSR1, a JSON tree from the admin API) into a new runtime and
// swaps it into the server group. A config that fails to load or provision is rejected
// with its error and the running one stays. Thread-safe; blocking (run it off the loops).

#include <functional>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "server/server_group.h"

namespace gatehouse::server {

class ConfigReloader {
 public:
  ConfigReloader(ServerGroup& group, std::string path, std::string adapter)
      : group_(group), path_(std::move(path)), adapter_(std::move(adapter)) {}

  // Re-reads the file given at start-up.
  bool reloadFile(std::string& error);
  // Loads a Caddy JSON config as given (its @id members are kept for the admin API).
  bool loadJson(const config::Json& raw, std::string& error);
  // The running config as Caddy JSON (null before any).
  [[nodiscard]] config::Json currentConfig() const;
  [[nodiscard]] std::shared_ptr<const provision::Runtime> running() const { return group_.current(); }
  // Called after each config that starts running (set before any reload can happen).
  void onApplied(std::function<void(const provision::Runtime&)> hook) { onApplied_ = std::move(hook); }

 private:
  // `raw`: the JSON the runtime keeps as its source; nullptr to keep the adapted one.
  bool apply(const config::Config& cfg, const config::Json* raw, std::string& error);

  ServerGroup& group_;
  std::string path_;
  std::string adapter_;
  std::function<void(const provision::Runtime&)> onApplied_;
};

}  // namespace gatehouse::server
