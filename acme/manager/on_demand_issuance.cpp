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
enum class RequestKind {
  Handshake,           // a paused handshake wants a certificate
  JoinOnly,            // a successor's question: is one in flight here? (never starts a job)
  PredecessorAnswered  // the predecessor's job ended: go on (from storage, or a new order)
};

struct OnDemandRequest {
  std::string name;
  size_t issuer = 0;
  KeyType keyType = KeyType::P256;
  bool ocspStapling = true;
  std::function<void(bool)> done;
  RequestKind kind = RequestKind::Handshake;
};

// How long a reloaded manager keeps its predecessor: beyond the longest handshake wait
// (120 s), so every order in flight at the reload has ended.
constexpr std::chrono::seconds kPredecessorKept{150};

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
    bool ocspStapling = true;
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

void CertificateManager::requestOnDemand(std::string name, const OnDemandRule& rule,
                                         std::function<void(bool)> done) {
  if (onDemand_ == nullptr || rule.issuer >= config_.issuers.size()) {
    return done(false);
  }
  {
    std::lock_guard lock(onDemand_->mu);
    if (!onDemand_->closed) {
      onDemand_->queue.push_back(
          OnDemandRequest{std::move(name), rule.issuer, rule.keyType, rule.ocspStapling, std::move(done)});
      uv_async_send(onDemand_->signal);
      return;
    }
  }
  done(false);
}

void CertificateManager::joinOnDemand(std::string name, std::function<void(bool)> done) {
  if (onDemand_ == nullptr) {
    return done(false);
  }
  {
    std::lock_guard lock(onDemand_->mu);
    if (!onDemand_->closed) {
      onDemand_->queue.push_back(
          OnDemandRequest{std::move(name), 0, KeyType::P256, true, std::move(done), RequestKind::JoinOnly});
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
    if (r.kind == RequestKind::PredecessorAnswered) {
      auto job = onDemand_->jobs.find(r.name);
      if (!stopping_ && job != onDemand_->jobs.end()) {
        startOnDemand(r.name, job->second.issuer);
      }
      continue;
    }
    if (stopping_) {
      r.done(false);
      continue;
    }
    if (!store_->snapshot()->lookup(r.name).empty()) {
      r.done(true);  // installed since the handshake looked
      continue;
    }
    auto existing = onDemand_->jobs.find(r.name);
    if (r.kind == RequestKind::JoinOnly) {
      if (existing == onDemand_->jobs.end()) {
        r.done(false);  // nothing in flight here: the successor goes on by itself
      } else {
        existing->second.waiters.push_back(std::move(r.done));
      }
      continue;
    }
    auto [job, fresh] = onDemand_->jobs.try_emplace(r.name);
    job->second.waiters.push_back(std::move(r.done));
    if (fresh) {
      job->second.issuer = r.issuer;
      job->second.keyType = r.keyType;
      job->second.ocspStapling = r.ocspStapling;
      if (predecessor_) {
        askPredecessor(r.name);
      } else {
        startOnDemand(r.name, r.issuer);
      }
    }
  }
}

void CertificateManager::adoptPredecessor(std::shared_ptr<CertificateManager> previous) {
  if (onDemand_ != nullptr && previous && previous->onDemand_ != nullptr && !started_) {
    predecessor_ = std::move(previous);
  }
}

// After a reload: an order the previous config's manager has in flight for `name` is waited
// for (its certificate then comes from storage) instead of being placed a second time.
void CertificateManager::askPredecessor(const std::string& name) {
  std::weak_ptr<OnDemandState> state = onDemand_;
  predecessor_->joinOnDemand(name, [state, name](bool) {
    // Runs on the predecessor's thread (or this one's, at once): hand the answer back.
    auto s = state.lock();
    if (!s) {
      return;
    }
    std::lock_guard lock(s->mu);
    if (!s->closed) {
      s->queue.push_back(
          OnDemandRequest{name, 0, KeyType::P256, true, [](bool) {}, RequestKind::PredecessorAnswered});
      uv_async_send(s->signal);
    }
  });
}

// Loop thread not yet running (start()): the predecessor is released after kPredecessorKept.
void CertificateManager::holdPredecessor() {
  if (!predecessor_) {
    return;
  }
  auto timer = std::make_unique<uv_timer_t>();
  uv_timer_init(&loop_, timer.get());
  timer->data = this;
  predecessorTimer_ = timer.release();
  uv_timer_start(
      predecessorTimer_,
      [](uv_timer_t* h) { static_cast<CertificateManager*>(h->data)->releasePredecessor(); },
      std::chrono::duration_cast<std::chrono::milliseconds>(kPredecessorKept).count(), 0);
}

void CertificateManager::releasePredecessor() {
  if (predecessorTimer_ != nullptr) {
    uv_timer_stop(predecessorTimer_);
    predecessorTimer_->data = predecessorTimer_;
    uv_close(reinterpret_cast<uv_handle_t*>(predecessorTimer_),
             [](uv_handle_t* h) { std::unique_ptr<uv_timer_t> owned(static_cast<uv_timer_t*>(h->data)); });
    predecessorTimer_ = nullptr;
  }
  // Stops its loop thread and joins it (never this thread): its own shutdown settles what
  // still waits there, and those answers find this manager's queue closed or open.
  predecessor_.reset();
}

void CertificateManager::startOnDemand(const std::string& name, size_t issuer) {
  const std::string& issuerKey = issuerKeyOf(issuer);  // a local CA's differs from its "ca"
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
  attempt(onDemandTarget(name), 0, nullptr);  // in the handshake's time: not queued, as certmagic
}

CertificateManager::Target& CertificateManager::onDemandTarget(const std::string& name) {
  auto it = onDemand_->targets.find(name);
  if (it != onDemand_->targets.end()) {
    return *it->second;
  }
  const auto& job = onDemand_->jobs.at(name);
  ManagedCertificate cert{name, job.issuer, job.keyType};
  cert.ocspStapling = job.ocspStapling;
  Target& t = addTarget(std::move(cert));
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
  // Released after this manager's queue is closed (below), so late answers from it are dropped.
  struct ReleaseAfter {
    CertificateManager* self;
    ~ReleaseAfter() { self->releasePredecessor(); }
  } releaseAfter{this};
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
