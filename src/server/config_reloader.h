#pragma once
// Turns a config (a file for SIGUSR1, a request body for POST /load) into a new runtime and
// swaps it into the server group. A config that fails to load or provision is rejected
// with its error and the running one stays. Thread-safe; blocking (run it off the loops).

#include <string>
#include <string_view>

#include "server/server_group.h"

namespace gatehouse::server {

class ConfigReloader {
 public:
  ConfigReloader(ServerGroup& group, std::string path, std::string adapter)
      : group_(group), path_(std::move(path)), adapter_(std::move(adapter)) {}

  // Re-reads the file given at start-up.
  bool reloadFile(std::string& error);
  // `contentType`: "application/json" (default) or "text/caddyfile".
  bool load(std::string_view body, std::string_view contentType, std::string& error);
  // The running config as Caddy JSON.
  [[nodiscard]] std::string currentConfig() const;

 private:
  bool apply(const std::string& text, bool json, const std::string& name, std::string& error);

  ServerGroup& group_;
  std::string path_;
  std::string adapter_;
};

}  // namespace gatehouse::server
