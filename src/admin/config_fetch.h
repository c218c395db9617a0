#pragma once
// One fetch of caddy.config_loaders.http (2.6.2): the request as configured, tried up to 10
// times 500 ms apart while it fails below HTTP or answers outside 200-499; then a status of
// 400 or more is an error, and the body is adapted by its Content-Type. Blocking: it runs a
// private libuv loop with the project's curl-multi client, on the calling thread.

#include <uv.h>

#include <mutex>
#include <string>

#include "admin/config_loader_spec.h"
#include "admin/content_adapter.h"

namespace gatehouse::admin {

class ConfigFetcher {
 public:
  explicit ConfigFetcher(ConfigLoaderSpec spec) : spec_(std::move(spec)) {}
  ConfigFetcher(const ConfigFetcher&) = delete;
  ConfigFetcher& operator=(const ConfigFetcher&) = delete;

  // "" and the adapted config in `out`, else Caddy's error text.
  std::string fetch(Adapted& out);
  // From any thread: ends a fetch in progress (and refuses later ones) promptly.
  void cancel();

 private:
  ConfigLoaderSpec spec_;
  std::mutex mu_;
  uv_async_t* wake_ = nullptr;  // the running fetch's, while one runs
  bool cancelled_ = false;
};

}  // namespace gatehouse::admin
