#include "getcert/http_managers_core.h"

#include <openssl/crypto.h>

#include "gatehouse/tls/certificate.h"
#include "getcert/manager_url.h"

namespace gatehouse::acme {

namespace {
// Caddy 2.6.2 sets neither (Go's default client); a handshake must not hang on a stuck
// endpoint, and a certificate chain with its key is a few KiB.
constexpr std::chrono::milliseconds kRequestTimeout{10000};
constexpr size_t kMaxBodyBytes = 1 << 20;
constexpr const char* kShuttingDown = "the certificate managers are shutting down (config reload or stop)";
}  // namespace

void ManagerCore::submit(ManagerJob job) {
  {
    std::lock_guard lock(mu_);
    if (!closed_) {
      if (!started_) {
        startLocked();
      }
      queue_.push_back(std::move(job));
      uv_async_send(signal_);
      return;
    }
  }
  job.done(tls::ManagerAnswer{nullptr, {tls::ManagerFailure{0, kShuttingDown}}});
}

void ManagerCore::close() {
  std::thread thread;
  bool idle = false;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    if (started_) {
      uv_async_send(signal_);
    }
    thread = std::move(thread_);
    idle = queue_.empty() && asking_ == 0;
  }
  if (!thread.joinable()) {
    return;
  }
  // A job's callback may drop the service's last reference on the thread itself.
  if (idle && thread.get_id() != std::this_thread::get_id()) {
    thread.join();
  } else {
    thread.detach();  // it owns the core until its loop ends
  }
}

void ManagerCore::startLocked() {
  started_ = true;
  uv_loop_init(&loop_);
  loop_.data = this;
  auto async = std::make_unique<uv_async_t>();
  uv_async_init(&loop_, async.get(),
                [](uv_async_t* a) { static_cast<ManagerCore*>(a->loop->data)->takeJobs(); });
  signal_ = async.release();
  http_ = std::make_unique<HttpClient>(&loop_, HttpClientOptions{"", "Gatehouse", kMaxBodyBytes});
  // The thread owns the core until its loop ends, so whoever drops the last reference to
  // the service (possibly a serving loop) never waits for a request (see close()).
  thread_ = std::thread([self = shared_from_this()] {
    uv_run(&self->loop_, UV_RUN_DEFAULT);
    uv_loop_close(&self->loop_);
    // Its OpenSSL state (DRBGs, the error queue a bad PEM answer leaves) goes now, not in a
    // thread-exit handler that OpenSSL's exit handler may already have unregistered.
    OPENSSL_thread_stop();
  });
}

void ManagerCore::takeJobs() {
  if (!http_) {
    return;  // already shut down; a late wake-up
  }
  std::vector<ManagerJob> jobs;
  bool closing = false;
  {
    std::lock_guard lock(mu_);
    jobs.swap(queue_);
    asking_ += jobs.size();
    closing = closed_;
  }
  for (auto& job : jobs) {
    if (closing) {
      finish(job, tls::ManagerAnswer{nullptr, {tls::ManagerFailure{0, kShuttingDown}}});
    } else {
      step(std::make_shared<ManagerJob>(std::move(job)));
    }
  }
  if (closing) {
    shutDown();
  }
}

void ManagerCore::step(std::shared_ptr<ManagerJob> job) {
  if (job->next >= job->urls.size()) {
    return finish(*job, tls::ManagerAnswer{nullptr, std::move(job->failures)});
  }
  HttpRequest req;
  req.url = managerUrl(job->urls[job->next], job->query);
  req.timeout = kRequestTimeout;
  http_->send(std::move(req), [this, job](HttpResponse resp) { answered(job, resp); });
}

void ManagerCore::answered(const std::shared_ptr<ManagerJob>& job, const HttpResponse& resp) {
  std::string error;
  if (!resp.ok()) {
    error = resp.error;
  } else if (resp.status == 204) {
    // "not mine" (newer Caddy's meaning; 2.6.2 logs it as an error and goes on the same way)
  } else if (resp.status != 200) {
    error = "got HTTP " + std::to_string(resp.status);
  } else {
    try {
      // One PEM body: the chain's CERTIFICATE blocks and the (first) private key.
      auto cert = tls::loadCertificatePem(resp.body, resp.body);
      return finish(*job, tls::ManagerAnswer{std::move(cert), std::move(job->failures)});
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!error.empty()) {
    job->failures.push_back(
        tls::ManagerFailure{job->next, "http " + redactedUrl(job->urls[job->next]) + ": " + error});
  }
  ++job->next;
  step(job);
}

void ManagerCore::finish(ManagerJob& job, tls::ManagerAnswer answer) {
  {
    std::lock_guard lock(mu_);
    --asking_;
  }
  job.done(std::move(answer));
}

void ManagerCore::shutDown() {
  http_->cancelAll();
  http_.reset();  // closes its handles; the loop runs until they are gone
  uv_close(reinterpret_cast<uv_handle_t*>(signal_),
           [](uv_handle_t* h) { std::unique_ptr<uv_async_t> owned(reinterpret_cast<uv_async_t*>(h)); });
}

}  // namespace gatehouse::acme
