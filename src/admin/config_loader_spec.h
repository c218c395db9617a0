#pragma once
// caddy 2.6.2's dynamic config loading (admin.config.load with module "http", and
// admin.config.load_delay), as provisioned: where to fetch the config and how often.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace gatehouse::admin {

struct ConfigLoaderSpec {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // every value of `header`
  std::chrono::milliseconds timeout{0};                      // the whole exchange; 0: none
  std::string caFile;  // tls.root_ca_pem_files (one file): the only roots trusted
  // load_delay: 0 fetches once, at once (at start-up a failure stops the start); otherwise
  // fetch after the delay, and again after it while fetching fails or brings no change.
  std::chrono::nanoseconds delay{0};

  bool operator==(const ConfigLoaderSpec&) const = default;
};

}  // namespace gatehouse::admin
