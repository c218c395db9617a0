#include "manager/certificate_manager.h"

#include <algorithm>
#include <iostream>

#include "crypto/certificate_info.h"
#include "manager/challenge_certificates.h"
#include "protocol/acme_account.h"
#include "protocol/acme_order.h"
#include "service/renewal_policy.h"
#include "solvers/dns01_solver.h"
#include "service/storage_lock.h"
#include "storage/storage_keys.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {
constexpr int kMaxLockWaits = 120;  // one-second waits for a lock another process holds
constexpr std::chrono::seconds kFirstRetry{60};
constexpr std::chrono::seconds kMaxBackoff{86400};
constexpr int64_t kMaxTimerSeconds = 3600;  // look again at least hourly (clock jumps)

int64_t secondsUntil(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t - std::chrono::system_clock::now()).count();
}

template <typename T>
void closeAndFree(T*& handle) {
  if (handle == nullptr) {
    return;
  }
  handle->data = handle;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { std::unique_ptr<T> owned(static_cast<T*>(h->data)); });
  handle = nullptr;
}
}  // namespace

struct CertificateManager::Issuer {
  AcmeIssuerSettings settings;
  std::string key;  // storage issuer key
  std::shared_ptr<HttpClient> http;
  std::shared_ptr<AcmeClient> client;
  std::unique_ptr<Dns01Solver> dns01;  // when the issuer has a DNS challenge
  bool accountReady = false;
  bool accountPending = false;
  std::vector<std::function<void(std::optional<AcmeError>)>> waiting;
};

struct CertificateManager::Target {
  ManagedCertificate cert;
  CertificateManager* manager = nullptr;
  uv_timer_t* timer = nullptr;
  Clock::time_point renewAt;  // when the stored/installed certificate is due
  bool installed = false;     // a valid certificate is being served
  int failures = 0;
};

CertificateManager::CertificateManager(ManagerConfig config, std::shared_ptr<tls::CertificateStore> store)
    : config_(std::move(config)),
      store_(std::move(store)),
      log_(std::cerr),
      storage_(config_.storageRoot.empty() ? FileStorage::defaultRoot() : config_.storageRoot),
      responder_(std::make_shared<ChallengeResponder>()),
      challengeProvider_(std::make_shared<ChallengeCertificates>(responder_)) {
  uv_loop_init(&loop_);
  loop_.data = this;
  auto async = std::make_unique<uv_async_t>();
  uv_async_init(&loop_, async.get(),
                [](uv_async_t* a) { static_cast<CertificateManager*>(a->loop->data)->shutdownOnLoop(); });
  stopSignal_ = async.release();
  for (const auto& s : config_.issuers) {
    auto issuer = std::make_unique<Issuer>();
    issuer->settings = s;
    issuer->key = storage_keys::issuerKey(s.ca);
    issuer->http = std::make_shared<HttpClient>(&loop_, HttpClientOptions{s.caRoot, "Gatehouse", 8 << 20});
    issuer->client = std::make_shared<AcmeClient>(issuer->http, s.ca);
    if (s.dns) {
      issuer->dns01 = std::make_unique<Dns01Solver>(&loop_, *s.dns, log_);
    }
    issuers_.push_back(std::move(issuer));
  }
  for (const auto& c : config_.certificates) {
    auto t = std::make_unique<Target>();
    t->cert = c;
    t->manager = this;
    loadFromStorage(*t);
    targets_.push_back(std::move(t));
  }
  setUpOnDemand();
}

CertificateManager::~CertificateManager() {
  if (started_) {
    uv_async_send(stopSignal_);
    thread_.join();
  } else {
    shutdownOnLoop();
    drain();
  }
}

void CertificateManager::start() {
  if (started_) {
    return;
  }
  started_ = true;
  std::vector<std::string> names;
  for (const auto& t : targets_) {
    names.push_back(t->cert.name);
  }
  log_.info("tls", "enabling automatic TLS certificate management",
            {{"domains", names}, {"storage", storage_.describe()}});
  for (auto& t : targets_) {
    auto timer = std::make_unique<uv_timer_t>();
    uv_timer_init(&loop_, timer.get());
    timer->data = t.get();
    t->timer = timer.release();
  }
  thread_ = std::thread([this] {
    for (auto& t : targets_) {
      begin(*t);
    }
    drain();
  });
}

// Runs the loop until nothing is left on it, then frees the clients and closes the loop.
void CertificateManager::drain() {
  uv_run(&loop_, UV_RUN_DEFAULT);
  issuers_.clear();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

void CertificateManager::shutdownOnLoop() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  // Orders in flight hold their own reference to the client; they end with an error the
  // callbacks below ignore once stopping_ is set.
  for (auto& i : issuers_) {
    i->client->shutdown();
    if (i->dns01) {
      i->dns01->shutdown();
    }
    i->client.reset();
    i->http.reset();
  }
  for (auto& t : targets_) {
    closeAndFree(t->timer);
  }
  closeAndFree(stopSignal_);
  shutdownOnDemand();
}

void CertificateManager::loadFromStorage(Target& t) {
  const Issuer& issuer = *issuers_[t.cert.issuer];
  const std::string& name = t.cert.name;
  try {
    auto crt = storage_.load(storage_keys::siteCert(issuer.key, name));
    auto key = storage_.load(storage_keys::sitePrivateKey(issuer.key, name));
    if (!crt || !key) {
      return;
    }
    const CertificateInfo info = readCertificateInfo(*crt);
    if (std::none_of(info.names.begin(), info.names.end(), [&](const std::string& n) { return n == name; }) ||
        Clock::now() >= info.notAfter) {
      return;
    }
    store_->replaceFor(name, tls::loadCertificatePem(*crt, *key));
    t.installed = true;
    t.renewAt = defaultRenewalTime(info);
    log_.info("tls", "loaded certificate from storage",
              {{"identifier", name}, {"issuer", issuer.key}, {"expires_in", secondsUntil(info.notAfter)}});
    settleOnDemand(name, true);
  } catch (const std::exception& e) {
    log_.warn("tls", "stored certificate unusable; a new one will be obtained",
              {{"identifier", name}, {"error", e.what()}});
  }
}

void CertificateManager::begin(Target& t) {
  if (t.installed && Clock::now() < t.renewAt) {
    return schedule(t, t.renewAt);
  }
  if (t.installed) {
    log_.info("tls.renew", "certificate is due for renewal", {{"identifier", t.cert.name}});
  }
  obtain(t, 0);
}

void CertificateManager::schedule(Target& t, Clock::time_point at) {
  if (stopping_ || t.timer == nullptr) {
    return;
  }
  const int64_t delay = std::clamp<int64_t>(secondsUntil(at), 0, kMaxTimerSeconds);
  t.renewAt = at;
  uv_timer_start(
      t.timer,
      [](uv_timer_t* h) {
        auto* target = static_cast<Target*>(h->data);
        CertificateManager* self = target->manager;
        if (Clock::now() < target->renewAt) {
          return self->schedule(*target, target->renewAt);
        }
        if (target->installed) {
          self->log_.info(
              "tls.renew", "certificate is due for renewal",
              {{"identifier", target->cert.name}, {"ca", self->issuers_[target->cert.issuer]->settings.ca}});
        }
        self->obtain(*target, 0);
      },
      static_cast<uint64_t>(delay) * 1000 + 1, 0);
}

void CertificateManager::obtain(Target& t, int lockAttempts) {
  if (stopping_) {
    return;
  }
  const std::string lockName = storage_keys::issueLockName(t.cert.name);
  bool locked = false;
  try {
    locked = storage_.tryLock(lockName);
  } catch (const std::exception& e) {
    return failed(t, AcmeError{std::string("cannot take the storage lock: ") + e.what(), std::nullopt, {}});
  }
  if (!locked) {
    if (lockAttempts == 0) {
      log_.info("tls.obtain", "waiting for another process's lock", {{"lock", lockName}});
    }
    if (lockAttempts >= kMaxLockWaits) {
      return failed(t, AcmeError{"gave up waiting for the storage lock " + lockName, std::nullopt, {}});
    }
    runAfter(&loop_, std::chrono::seconds(1), [this, &t, lockAttempts] { obtain(t, lockAttempts + 1); });
    return;
  }
  auto lock = std::make_shared<StorageLock>(&loop_, storage_, lockName, FileStorage::kLockRefresh);
  log_.info("tls.obtain", "lock acquired", {{"identifier", t.cert.name}});
  // Another process (a Caddy or a Gatehouse sharing this storage) may have done the job.
  const bool wasInstalled = t.installed;
  const auto previousRenewal = t.renewAt;
  t.installed = false;
  loadFromStorage(t);
  if (t.installed && Clock::now() < t.renewAt) {
    if (!wasInstalled || t.renewAt != previousRenewal) {
      log_.info("tls.obtain", "certificate already obtained by another process",
                {{"identifier", t.cert.name}});
    }
    return schedule(t, t.renewAt);
  }
  t.installed = t.installed || wasInstalled;
  order(t, std::move(lock));
}

void CertificateManager::withAccount(Issuer& issuer, std::function<void(std::optional<AcmeError>)> done) {
  if (issuer.accountReady) {
    return done(std::nullopt);
  }
  issuer.waiting.push_back(std::move(done));
  if (issuer.accountPending) {
    return;
  }
  issuer.accountPending = true;
  if (stopping_) {
    return;
  }
  AccountSettings account{issuer.settings.email, issuer.settings.eab};
  ensureAccount(issuer.client, storage_, account, log_, [this, &issuer](std::optional<AcmeError> err) {
    issuer.accountPending = false;
    issuer.accountReady = !err;
    auto waiting = std::move(issuer.waiting);
    issuer.waiting.clear();
    for (auto& w : waiting) {
      if (!stopping_) {
        w(err);
      }
    }
  });
}

void CertificateManager::order(Target& t, std::shared_ptr<StorageLock> lock) {
  Issuer& issuer = *issuers_[t.cert.issuer];
  std::vector<std::string> challenges;
  if (issuer.dns01) {
    challenges.emplace_back("dns-01");
  } else {
    if (issuer.settings.http01) {
      challenges.emplace_back("http-01");
    }
    if (issuer.settings.tlsAlpn01) {
      challenges.emplace_back("tls-alpn-01");
    }
  }
  log_.info("tls.obtain", "obtaining certificate",
            {{"identifier", t.cert.name}, {"ca", issuer.settings.ca}, {"challenges", challenges}});
  const auto started = std::chrono::steady_clock::now();
  withAccount(issuer, [this, &t, &issuer, lock, started, challenges](std::optional<AcmeError> err) {
    if (stopping_) {
      return;
    }
    if (err) {
      return failed(t, *err);
    }
    OrderSettings settings;
    settings.names = {t.cert.name};
    settings.keyType = t.cert.keyType;
    settings.preferredChains = issuer.settings.preferredChains;
    settings.challengePreference = challenges;
    std::map<std::string, ChallengeSolver*> solvers;
    if (issuer.dns01) {
      solvers["dns-01"] = issuer.dns01.get();
    } else if (issuer.settings.http01) {
      solvers["http-01"] = &http01_;
    }
    if (!issuer.dns01 && issuer.settings.tlsAlpn01) {
      solvers["tls-alpn-01"] = &tlsAlpn01_;
    }
    auto ord = std::make_shared<AcmeOrder>(issuer.client, std::move(solvers), settings, log_);
    ord->run([this, &t, &issuer, lock, started](std::optional<AcmeError> e, IssuedCertificate cert) mutable {
      if (stopping_) {
        return;
      }
      if (e) {
        return failed(t, *e);
      }
      const std::string& name = t.cert.name;
      CertificateInfo info;
      try {
        info = readCertificateInfo(cert.chainPem);
        // The key first: a certificate in storage must always find its key next to it.
        storage_.store(storage_keys::sitePrivateKey(issuer.key, name), cert.keyPem);
        storage_.store(storage_keys::siteCert(issuer.key, name), cert.chainPem);
        const nlohmann::json meta = {{"sans", {name}},
                                     {"issuer_data", {{"url", cert.url}, {"ca", issuer.settings.ca}}}};
        storage_.store(storage_keys::siteMeta(issuer.key, name), meta.dump(1, '\t'));
      } catch (const std::exception& ex) {
        return failed(t, AcmeError{std::string("storing the certificate: ") + ex.what(), std::nullopt, {}});
      }
      lock.reset();
      if (!install(t, cert.chainPem, cert.keyPem)) {
        return failed(t, AcmeError{"the issued certificate does not load", std::nullopt, {}});
      }
      t.failures = 0;
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
              .count();
      log_.info("tls.obtain", "certificate obtained successfully",
                {{"identifier", name},
                 {"issuer", issuer.key},
                 {"duration_ms", ms},
                 {"expires_in", secondsUntil(info.notAfter)},
                 {"renew_in", secondsUntil(defaultRenewalTime(info))}});
      schedule(t, defaultRenewalTime(info));
    });
  });
}

// A target made at run time (on-demand TLS), with its renewal timer.
CertificateManager::Target& CertificateManager::addTarget(const ManagedCertificate& cert) {
  auto t = std::make_unique<Target>();
  t->cert = cert;
  t->manager = this;
  auto timer = std::make_unique<uv_timer_t>();
  uv_timer_init(&loop_, timer.get());
  timer->data = t.get();
  t->timer = timer.release();
  targets_.push_back(std::move(t));
  return *targets_.back();
}

bool CertificateManager::install(Target& t, const std::string& chain, const std::string& key) {
  try {
    auto cert = tls::loadCertificatePem(chain, key);
    store_->replaceFor(t.cert.name, std::move(cert));
  } catch (const std::exception& e) {
    log_.error("tls", "cannot install certificate", {{"identifier", t.cert.name}, {"error", e.what()}});
    return false;
  }
  t.installed = true;
  log_.info("tls", "certificate installed", {{"identifier", t.cert.name}});
  settleOnDemand(t.cert.name, true);
  return true;
}

void CertificateManager::failed(Target& t, const AcmeError& err) {
  if (stopping_) {
    return;
  }
  nlohmann::json fields = err.toJson();
  fields["identifier"] = t.cert.name;
  fields["ca"] = issuers_[t.cert.issuer]->settings.ca;
  log_.error(t.installed ? "tls.renew" : "tls.obtain", "could not get certificate from issuer", fields);
  if (!t.installed && onDemandGivesUp(t)) {
    return;  // on-demand: the waiting handshakes fail; the next handshake tries again
  }
  // Exponential backoff from one minute, never sooner than the CA asked.
  const auto backoff =
      std::min<std::chrono::seconds>(kFirstRetry * (int64_t{1} << std::min(t.failures, 20)), kMaxBackoff);
  ++t.failures;
  const auto wait = std::max(backoff, err.retryAfter);
  log_.warn(t.installed ? "tls.renew" : "tls.obtain", "will retry",
            {{"identifier", t.cert.name}, {"attempt", t.failures}, {"retrying_in", wait.count()}});
  if (t.timer != nullptr) {
    t.renewAt = Clock::now() + wait;
    schedule(t, t.renewAt);
  }
}

}  // namespace gatehouse::acme
