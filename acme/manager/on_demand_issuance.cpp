// CertificateManager's on-demand TLS part. Requests come from worker threads through a
// queue and a uv_async; everything else runs on the manager's loop thread. Caddy 2.6.2
// (certmagic 0.17) order: a certificate in storage is served without asking anyone; else
// one order per name at a time (concurrent handshakes wait for it), after the `ask`
// endpoint allowed the name and the rate limiter made a reservation. A denied or failed
// name is not retried in the background: the next handshake tries again.

#include <map>
#include <mutex>

#include "http/http_client.h"
#include "manager/certificate_manager.h"
#include "manager/on_demand_ask.h"
#include "manager/on_demand_gate.h"
#include "manager/on_demand_rate_limiter.h"
#include "storage/storage_keys.h"

namespace gatehouse::acme {

namespace {
struct OnDemandRequest {
  std::string name;
  size_t issuer = 0;
  KeyType keyType = KeyType::P256;
  std::function<void(bool)> done;
};

// Caddy logs this at provision when neither `ask` nor a rate limit restrains issuance.
constexpr const char* kUnprotected =
    "YOUR SERVER MAY BE VULNERABLE TO ABUSE: on-demand TLS is enabled, but no protections are in place";
}  // namespace

struct CertificateManager::OnDemandState {
  explicit OnDemandState(const OnDemandConfig& c)
      : config(c), limiter(static_cast<size_t>(std::max(c.burst, 0)), c.interval) {}

  OnDemandConfig config;
  SlidingWindowLimiter limiter;
  std::unique_ptr<HttpClient> ask;  // for the `ask` endpoint; reset at shutdown

  std::mutex mu;  // guards queue and closed: requestOnDemand runs on worker threads
  std::vector<OnDemandRequest> queue;
  bool closed = false;
  uv_async_t* signal = nullptr;  // owned; freed in its close callback

  struct Job {
    size_t issuer = 0;
    KeyType keyType = KeyType::P256;
    std::vector<std::function<void(bool)>> waiters;
  };
  std::map<std::string, Job> jobs;         // names being looked up, asked or ordered
  std::map<std::string, Target*> targets;  // targets made on demand, kept for renewal
};

void CertificateManager::setUpOnDemand() {
  if (!config_.onDemand) {
    return;
  }
  const OnDemandConfig& c = *config_.onDemand;
  if (c.ask.empty() && c.interval.count() == 0 && c.burst == 0 && !c.rateLimitSet) {
    log_.warn("tls", kUnprotected, {{"docs", "https://caddyserver.com/docs/automatic-https#on-demand-tls"}});
  }
  onDemand_ = std::make_shared<OnDemandState>(c);
  if (!c.ask.empty()) {
    onDemand_->ask = std::make_unique<HttpClient>(&loop_, HttpClientOptions{"", "Gatehouse", 64 << 10});
  }
  auto async = std::make_unique<uv_async_t>();
  uv_async_init(&loop_, async.get(), [](uv_async_t* a) {
    static_cast<CertificateManager*>(a->loop->data)->takeOnDemandRequests();
  });
  onDemand_->signal = async.release();
  onDemandGate_ = std::make_shared<OnDemandGate>(c.rules, *this);
}

void CertificateManager::requestOnDemand(std::string name, size_t issuer, KeyType keyType,
                                         std::function<void(bool)> done) {
  if (onDemand_ == nullptr || issuer >= config_.issuers.size()) {
    return done(false);
  }
  {
    std::lock_guard lock(onDemand_->mu);
    if (!onDemand_->closed) {
      onDemand_->queue.push_back(OnDemandRequest{std::move(name), issuer, keyType, std::move(done)});
      uv_async_send(onDemand_->signal);
      return;
    }
  }
  done(false);
}

void CertificateManager::takeOnDemandRequests() {
  std::vector<OnDemandRequest> batch;
  {
    std::lock_guard lock(onDemand_->mu);
    batch.swap(onDemand_->queue);
  }
  for (auto& r : batch) {
    if (stopping_) {
      r.done(false);
      continue;
    }
    if (!store_->snapshot()->lookup(r.name).empty()) {
      r.done(true);  // installed since the handshake looked
      continue;
    }
    auto [job, fresh] = onDemand_->jobs.try_emplace(r.name);
    job->second.waiters.push_back(std::move(r.done));
    if (fresh) {
      job->second.issuer = r.issuer;
      job->second.keyType = r.keyType;
      startOnDemand(r.name, r.issuer);
    }
  }
}

void CertificateManager::startOnDemand(const std::string& name, size_t issuer) {
  const std::string issuerKey = storage_keys::issuerKey(config_.issuers[issuer].ca);
  bool stored = false;
  try {
    stored = storage_.exists(storage_keys::siteCert(issuerKey, name));
  } catch (const std::exception&) {
    stored = false;  // unreadable storage: fall through to the checks and an order
  }
  if (stored) {
    Target& t = onDemandTarget(name);
    loadFromStorage(t);  // settles the job when the certificate is usable
    if (!onDemand_->jobs.contains(name)) {
      staple(t);
      return check(t);  // keep it renewed like the others
    }
  }
  if (onDemand_->config.ask.empty()) {
    return admitOnDemand(name);
  }
  log_.info("tls.on_demand", "asking whether a certificate may be obtained",
            {{"server_name", name}, {"endpoint", onDemand_->config.ask}});
  askPermission(*onDemand_->ask, onDemand_->config.ask, name, [this, name](AskAnswer a) {
    if (stopping_) {
      return;
    }
    if (!a.error.empty()) {
      log_.error("tls.on_demand", "request to 'ask' endpoint failed",
                 {{"error", a.error}, {"endpoint", onDemand_->config.ask}, {"domain", name}});
      return settleOnDemand(name, false);
    }
    if (!a.allowed) {
      log_.info("tls.on_demand", "certificate not allowed by the 'ask' endpoint",
                {{"domain", name}, {"endpoint", onDemand_->config.ask}, {"status", a.status}});
      return settleOnDemand(name, false);
    }
    admitOnDemand(name);
  });
}

void CertificateManager::admitOnDemand(const std::string& name) {
  // The rate limiter last, as Caddy: allowing makes a reservation.
  if (!onDemand_->limiter.allow()) {
    log_.warn("tls.on_demand", "on-demand rate limit exceeded", {{"server_name", name}});
    return settleOnDemand(name, false);
  }
  log_.info("tls.on_demand", "obtaining new certificate", {{"server_name", name}});
  obtain(onDemandTarget(name), 0);
}

CertificateManager::Target& CertificateManager::onDemandTarget(const std::string& name) {
  auto it = onDemand_->targets.find(name);
  if (it != onDemand_->targets.end()) {
    return *it->second;
  }
  const auto& job = onDemand_->jobs.at(name);
  Target& t = addTarget(ManagedCertificate{name, job.issuer, job.keyType});
  onDemand_->targets.emplace(name, &t);
  return t;
}

void CertificateManager::settleOnDemand(const std::string& name, bool ok) {
  if (onDemand_ == nullptr) {
    return;
  }
  auto it = onDemand_->jobs.find(name);
  if (it == onDemand_->jobs.end()) {
    return;
  }
  auto waiters = std::move(it->second.waiters);
  onDemand_->jobs.erase(it);
  for (auto& w : waiters) {
    w(ok);
  }
}

bool CertificateManager::onDemandGivesUp(const Target& t) {
  if (onDemand_ == nullptr) {
    return false;
  }
  for (const auto& [name, target] : onDemand_->targets) {
    if (target == &t) {
      settleOnDemand(name, false);
      return true;
    }
  }
  return false;
}

void CertificateManager::shutdownOnDemand() {
  if (onDemand_ == nullptr) {
    return;
  }
  std::vector<OnDemandRequest> queued;
  {
    std::lock_guard lock(onDemand_->mu);
    if (onDemand_->closed) {
      return;
    }
    onDemand_->closed = true;
    queued.swap(onDemand_->queue);
  }
  auto* signal = onDemand_->signal;
  signal->data = signal;
  uv_close(reinterpret_cast<uv_handle_t*>(signal),
           [](uv_handle_t* h) { std::unique_ptr<uv_async_t> owned(static_cast<uv_async_t*>(h->data)); });
  onDemand_->signal = nullptr;
  onDemand_->ask.reset();
  for (auto& r : queued) {
    r.done(false);
  }
  auto jobs = std::move(onDemand_->jobs);
  onDemand_->jobs.clear();
  for (auto& [name, job] : jobs) {
    for (auto& w : job.waiters) {
      w(false);
    }
  }
}

}  // namespace gatehouse::acme
