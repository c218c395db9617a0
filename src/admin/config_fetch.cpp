#include "admin/config_fetch.h"

#include <memory>

#include "http/http_client.h"

namespace gatehouse::admin {

namespace {

constexpr int kMaxAttempts = 10;
constexpr uint64_t kRetryMs = 500;

// The state of one fetch on its private loop.
struct Run {
  const ConfigLoaderSpec& spec;
  std::unique_ptr<acme::HttpClient> client;
  std::mutex& mu;  // guards `wakeSlot`, the fetcher's way in from cancel()
  uv_async_t*& wakeSlot;
  uv_timer_t retry{};
  uv_async_t wake{};
  int attempts = 0;
  bool done = false;
  acme::HttpResponse response;
  std::string error;

  void send() {
    ++attempts;
    acme::HttpRequest req;
    req.method = spec.method;
    req.url = spec.url;
    req.headers = spec.headers;
    req.timeout = spec.timeout;  // 0: curl waits as long as it takes, as Go's zero Timeout
    client->send(std::move(req), [this](acme::HttpResponse r) { onResponse(std::move(r)); });
  }

  void onResponse(acme::HttpResponse r) {
    if (!r.ok()) {
      error = "problem calling http loader url: " + r.error;
    } else if (r.status < 200 || r.status > 499) {
      error = "bad response status code from http loader url: " + std::to_string(r.status);
    } else {
      error.clear();
      response = std::move(r);
      finish();
      return;
    }
    if (attempts >= kMaxAttempts) {
      finish();
      return;
    }
    uv_timer_start(
        &retry, [](uv_timer_t* t) { static_cast<Run*>(t->data)->send(); }, kRetryMs, 0);
  }

  void finish() {
    if (done) {
      return;
    }
    done = true;
    {
      std::lock_guard lock(mu);
      wakeSlot = nullptr;  // no cancel() may poke the handle once it closes
    }
    client->cancelAll();
    uv_close(reinterpret_cast<uv_handle_t*>(&retry), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
  }
};

}  // namespace

std::string ConfigFetcher::fetch(Adapted& out) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  acme::HttpClientOptions options;
  options.caBundle = spec_.caFile;
  options.maxBodyBytes = 16 << 20;  // a config, as POST /load takes
  Run run{spec_, std::make_unique<acme::HttpClient>(&loop, options), mu_, wake_};
  uv_timer_init(&loop, &run.retry);
  run.retry.data = &run;
  uv_async_init(&loop, &run.wake, [](uv_async_t* a) {
    auto* r = static_cast<Run*>(a->data);
    r->error = "dynamic config loading was stopped";
    r->finish();
  });
  run.wake.data = &run;
  bool cancelled = false;
  {
    std::lock_guard lock(mu_);
    cancelled = cancelled_;
    wake_ = &run.wake;
  }
  if (cancelled) {
    run.error = "dynamic config loading was stopped";
    run.finish();
  } else {
    run.send();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  run.client.reset();  // closes its handles; the loop finishes closing them
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (!run.error.empty()) {
    return run.error;
  }
  if (run.response.status >= 400) {
    return "server responded with HTTP " + std::to_string(run.response.status);
  }
  if (auto err = adaptByContentType(run.response.header("Content-Type"), run.response.body, out)) {
    return err->message;
  }
  return "";
}

void ConfigFetcher::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (wake_ != nullptr) {
    uv_async_send(wake_);
  }
}

}  // namespace gatehouse::admin
