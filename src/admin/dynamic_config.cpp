#include "admin/dynamic_config.h"

#include <openssl/crypto.h>

#include "admin/config_fetch.h"
#include "log/process_log.h"

namespace gatehouse::admin {

namespace {

// The fields Caddy's config_loader logger carries.
config::Json loaderFields(const ConfigLoaderSpec& spec, config::Json extra = config::Json::object()) {
  config::Json f = config::Json::object();
  f["module"] = "http";
  f["load_delay"] = static_cast<long long>(spec.delay.count());
  for (const auto& [k, v] : extra.items()) {
    f[k] = v;
  }
  return f;
}

void note(log::Level level, const ConfigLoaderSpec& spec, std::string_view msg,
          config::Json extra = config::Json::object()) {
  log::logOwn(level, "config_loader", msg, loaderFields(spec, std::move(extra)));
}

}  // namespace

DynamicConfigLoader::DynamicConfigLoader(ConfigSink& sink) : changer_(sink) {
  thread_ = std::thread([this] { run(); });
}

DynamicConfigLoader::~DynamicConfigLoader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (fetching_ != nullptr) {
      fetching_->cancel();
    }
  }
  cv_.notify_all();
  thread_.join();
}

void DynamicConfigLoader::follow(const std::optional<ConfigLoaderSpec>& spec) {
  {
    std::lock_guard lock(mu_);
    pending_ = spec;
    ++generation_;
  }
  cv_.notify_all();
}

bool DynamicConfigLoader::loadAtStart(const ConfigLoaderSpec& spec, std::string& error) {
  std::string json;
  error = fetch(spec, json);
  if (!error.empty()) {
    return false;
  }
  bool unchanged = false;
  apply(spec, json, unchanged);
  return true;
}

void DynamicConfigLoader::run() {
  unsigned seen = 0;
  for (;;) {
    std::optional<ConfigLoaderSpec> spec;
    unsigned generation = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) {
        return;
      }
      seen = generation = generation_;
      spec = pending_;
    }
    if (spec) {
      serve(*spec, generation);
      OPENSSL_thread_stop();  // what curl's TLS and the load left on this thread; rebuilt on use
    }
  }
}

void DynamicConfigLoader::serve(const ConfigLoaderSpec& spec, unsigned generation) {
  if (spec.delay.count() <= 0) {
    // After a reload: one fetch, at once, as Caddy's synchronous load; its failure is the
    // reload's business there, here it is logged.
    std::string json;
    if (std::string error = fetch(spec, json); !error.empty()) {
      note(log::Level::Error, spec, "failed loading dynamic config", {{"error", error}});
      return;
    }
    bool unchanged = false;
    apply(spec, json, unchanged);
    return;
  }
  while (waitFor(spec.delay, generation)) {
    std::string json;
    if (std::string error = fetch(spec, json); !error.empty()) {
      note(log::Level::Error, spec, "failed loading dynamic config; will retry", {{"error", error}});
      continue;
    }
    bool unchanged = false;
    if (apply(spec, json, unchanged)) {
      return;  // the new config's loader, if any, takes over
    }
    if (unchanged) {
      note(log::Level::Info, spec, "dynamically-loaded config was unchanged; will retry");
    }
  }
  note(log::Level::Info, spec, "stopping dynamic config loading");
}

bool DynamicConfigLoader::waitFor(std::chrono::nanoseconds d, unsigned generation) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_ || generation_ != generation; });
  return !stopping_ && generation_ == generation;
}

std::string DynamicConfigLoader::fetch(const ConfigLoaderSpec& spec, std::string& json) {
  ConfigFetcher fetcher(spec);
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return "dynamic config loading was stopped";
    }
    fetching_ = &fetcher;
  }
  Adapted adapted;
  std::string error = fetcher.fetch(adapted);
  {
    std::lock_guard lock(mu_);
    fetching_ = nullptr;
  }
  for (const auto& w : adapted.warnings) {
    log::logOwn(log::Level::Warn, "config_loader", w.value("message", ""), w);
  }
  json = std::move(adapted.result);
  return error;
}

bool DynamicConfigLoader::apply(const ConfigLoaderSpec& spec, const std::string& json, bool& unchanged) {
  note(log::Level::Info, spec, "applying dynamically-loaded config");
  unchanged = false;
  if (auto err = changer_.change("POST", "/config", json, "", false, &unchanged)) {
    note(log::Level::Error, spec, "failed to run dynamically-loaded config", {{"error", err->message}});
    return false;
  }
  if (unchanged) {
    return false;
  }
  note(log::Level::Info, spec, "successfully applied dynamically-loaded config");
  return true;
}

}  // namespace gatehouse::admin
