#include "manager/certificate_manager.h"

#include <algorithm>
#include <iostream>

#include "crypto/certificate_info.h"
#include "manager/challenge_certificates.h"
#include "protocol/acme_account.h"
#include "protocol/acme_order.h"
#include "protocol/zerossl_eab.h"
#include "manager/issuer_chain.h"
#include "manager/ocsp_stapler.h"
#include "manager/renewal_schedule.h"
#include "solvers/dns01_solver.h"
#include "service/storage_lock.h"
#include "storage/storage_keys.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {
constexpr int kMaxLockWaits = 120;  // one-second waits for a lock another process holds

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
  std::shared_ptr<HttpClient> zeroSslApi;  // zerossl issuer: ZeroSSL's API, system roots
  std::unique_ptr<Dns01Solver> dns01;  // when the issuer has a DNS challenge
  bool accountReady = false;
  bool accountPending = false;
  std::vector<std::function<void(std::optional<AcmeError>)>> waiting;
};

struct CertificateManager::Target {
  ManagedCertificate cert;
  CertificateManager* manager = nullptr;
  uv_timer_t* timer = nullptr;
  bool installed = false;                // a valid certificate is being served
  std::optional<CertificateInfo> info;   // of the served certificate
  size_t servedBy = 0;                   // index into issuers_ of the one that issued it
  std::optional<AriPick> ari;            // the moment picked in the CA's ARI window
  Clock::time_point retryAt{};           // after a failure: no attempt before this
  int failures = 0;
  bool revoked = false;  // OCSP says the served certificate is revoked: due now
  std::shared_ptr<const tls::Certificate> served;  // what the store holds for the name
  std::string servedChain;                         // its PEM chain (OCSP needs the issuer)

  // Issuer indices in the order an attempt tries them.
  [[nodiscard]] std::vector<size_t> chain() const {
    std::vector<size_t> out{cert.issuer};
    out.insert(out.end(), cert.fallbackIssuers.begin(), cert.fallbackIssuers.end());
    return out;
  }
};

CertificateManager::CertificateManager(ManagerConfig config, std::shared_ptr<tls::CertificateStore> store)
    : config_(std::move(config)),
      store_(std::move(store)),
      log_(std::cerr, config_.logSink),
      storage_(config_.storageRoot.empty() ? FileStorage::defaultRoot() : config_.storageRoot),
      responder_(std::make_shared<ChallengeResponder>()),
      challengeProvider_(std::make_shared<ChallengeCertificates>(responder_)) {
  uv_loop_init(&loop_);
  loop_.data = this;
  auto async = std::make_unique<uv_async_t>();
  uv_async_init(&loop_, async.get(),
                [](uv_async_t* a) { static_cast<CertificateManager*>(a->loop->data)->shutdownOnLoop(); });
  stopSignal_ = async.release();
  ocsp_ = std::make_unique<OcspStapler>(&loop_, log_);
  for (const auto& s : config_.issuers) {
    auto issuer = std::make_unique<Issuer>();
    issuer->settings = s;
    if (s.local) {
      issuer->key = s.local->issuerKey();
    } else {
      issuer->key = storage_keys::issuerKey(s.ca);
      issuer->http = std::make_shared<HttpClient>(&loop_, HttpClientOptions{s.caRoot, "Gatehouse", 8 << 20});
      issuer->client = std::make_shared<AcmeClient>(issuer->http, s.ca);
      if (s.zeroSsl) {
        issuer->zeroSslApi = std::make_shared<HttpClient>(&loop_, HttpClientOptions{"", "Gatehouse", 64 << 10});
      }
    }
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
  holdPredecessor();
  thread_ = std::thread([this] {
    for (auto& t : targets_) {
      staple(*t);  // a stored certificate served since provision
      check(*t);
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
    // Cancelled exchanges never call back: what waits on them (with the storage locks
    // they hold, whose refresh timers would keep the loop alive) is released here.
    i->waiting.clear();
    if (i->client) {
      i->client->shutdown();
    }
    if (i->dns01) {
      i->dns01->shutdown();
    }
    i->client.reset();
    i->http.reset();
    if (i->zeroSslApi) {
      i->zeroSslApi->cancelAll();  // an EAB request in flight holds its own reference
      i->zeroSslApi.reset();
    }
  }
  for (auto& t : targets_) {
    closeAndFree(t->timer);
  }
  ocsp_->shutdown();
  closeAndFree(stopSignal_);
  shutdownOnDemand();
  expediteDelays(&loop_);
}

const std::string& CertificateManager::issuerKeyOf(size_t index) const {
  return issuers_[index]->key;
}

// Installs the newest valid certificate any issuer of the chain holds in storage.
void CertificateManager::loadFromStorage(Target& t) {
  const std::string& name = t.cert.name;
  const std::vector<size_t> chain = t.chain();
  std::vector<std::string> keys;
  for (size_t i : chain) {
    keys.push_back(issuers_[i]->key);
  }
  try {
    auto stored = loadNewestStored(storage_, keys, name);
    if (!stored) {
      return;
    }
    if (t.served && t.info && t.info->notBefore == stored->info.notBefore && t.info->ariCertId == stored->info.ariCertId) {
      return;  // the one being served (keeps its OCSP staple)
    }
    serve(t, tls::loadCertificatePem(stored->chainPem, stored->keyPem), stored->chainPem);
    if (!t.info || t.info->notBefore != stored->info.notBefore) {
      t.ari.reset();
    }
    t.installed = true;
    t.revoked = false;  // another certificate now
    t.info = stored->info;
    t.servedBy = chain[stored->position];
    log_.info("tls", "loaded certificate from storage",
              {{"identifier", name},
               {"issuer", keys[stored->position]},
               {"expires_in", secondsUntil(stored->info.notAfter)}});
    settleOnDemand(name, true);
  } catch (const std::exception& e) {
    log_.warn("tls", "stored certificate unusable; a new one will be obtained",
              {{"identifier", name}, {"error", e.what()}});
  }
}

// Decides when the served certificate is due: in the CA's ARI window when it has one for
// this certificate, else in the renewal window; renews now or sets the timer.
void CertificateManager::check(Target& t) {
  if (stopping_) {
    return;
  }
  if (Clock::now() < t.retryAt) {
    return schedule(t, t.retryAt);
  }
  if (!t.installed || !t.info || t.revoked) {
    return obtain(t, 0);
  }
  const Clock::time_point byRatio = renewalTime(*t.info, t.cert.renewalWindowRatio);
  Issuer& issuer = *issuers_[t.servedBy];
  if (!issuer.client || t.info->ariCertId.empty() || Clock::now() >= byRatio) {
    return renewIfDue(t, byRatio);
  }
  fetchRenewalWindow(issuer.client, *t.info, [this, &t, &issuer, byRatio](std::optional<RenewalWindow> window,
                                                                          const std::string& why) {
    if (stopping_) {
      return;
    }
    if (!window) {
      if (issuer.client->hasDirectory() && !issuer.client->directory().renewalInfo.empty()) {
        log_.warn("tls.cache.maintenance", "ARI renewal info unavailable; using the renewal window",
                  {{"identifier", t.cert.name}, {"ca", issuer.settings.ca}, {"error", why}});
      }
      return renewIfDue(t, byRatio);
    }
    const bool fresh = !t.ari || t.ari->window.start != window->start || t.ari->window.end != window->end;
    t.ari = pickRenewalTime(*window, t.ari, randomUnit());
    if (fresh) {
      log_.info("tls.cache.maintenance", "ARI renewal window",
                {{"identifier", t.cert.name},
                 {"ca", issuer.settings.ca},
                 {"window_start", rfc3339(window->start)},
                 {"window_end", rfc3339(window->end)},
                 {"selected_time", rfc3339(t.ari->at)}});
    }
    renewIfDue(t, std::min(t.ari->at, byRatio));
  });
}

void CertificateManager::renewIfDue(Target& t, Clock::time_point at) {
  if (Clock::now() < at) {
    return schedule(t, at);
  }
  log_.info("tls.renew", "certificate is due for renewal",
            {{"identifier", t.cert.name},
             {"ca", issuers_[t.servedBy]->settings.ca},
             {"remaining", secondsUntil(t.info->notAfter)},
             {"window", t.ari ? "ari" : "renewal_window_ratio"}});
  obtain(t, 0);
}

// The timer wakes at `at`, or sooner after renew_interval to look again.
void CertificateManager::schedule(Target& t, Clock::time_point at) {
  if (stopping_ || t.timer == nullptr) {
    return;
  }
  const auto untilDue = std::chrono::duration_cast<std::chrono::milliseconds>(at - Clock::now());
  const auto delay = std::clamp<std::chrono::milliseconds>(untilDue, std::chrono::milliseconds(0),
                                                           std::min<std::chrono::milliseconds>(
                                                               config_.renewInterval, std::chrono::hours(1)));
  uv_timer_start(
      t.timer,
      [](uv_timer_t* h) {
        auto* target = static_cast<Target*>(h->data);
        target->manager->check(*target);
      },
      static_cast<uint64_t>(delay.count()) + 1, 0);
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
    return failed(t, AcmeError{std::string("cannot take the storage lock: ") + e.what(), std::nullopt, {}},
                  issuers_[t.cert.issuer]->settings.ca);
  }
  if (!locked) {
    if (lockAttempts == 0) {
      log_.info("tls.obtain", "waiting for another process's lock", {{"lock", lockName}});
    }
    if (lockAttempts >= kMaxLockWaits) {
      return failed(t, AcmeError{"gave up waiting for the storage lock " + lockName, std::nullopt, {}},
                    issuers_[t.cert.issuer]->settings.ca);
    }
    runAfter(&loop_, std::chrono::seconds(1), [this, &t, lockAttempts] { obtain(t, lockAttempts + 1); });
    return;
  }
  auto lock = std::make_shared<StorageLock>(&loop_, storage_, lockName, FileStorage::kLockRefresh);
  log_.info("tls.obtain", "lock acquired", {{"identifier", t.cert.name}});
  // Another process (a Caddy or a Gatehouse sharing this storage) may have done the job:
  // storage then holds a newer certificate than the one served, not yet due.
  const auto served = t.info ? std::optional(t.info->notBefore) : std::nullopt;
  loadFromStorage(t);
  if (t.info && (!served || t.info->notBefore != *served) &&
      Clock::now() < renewalTime(*t.info, t.cert.renewalWindowRatio)) {
    log_.info("tls.obtain", "certificate already obtained by another process", {{"identifier", t.cert.name}});
    return schedule(t, renewalTime(*t.info, t.cert.renewalWindowRatio));
  }
  order(t, std::move(lock), 0);
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
  AccountSettings account{issuer.settings.email, issuer.settings.eab, nullptr};
  if (issuer.settings.zeroSsl && !issuer.settings.eab) {
    account.fetchEab = zeroSslEabSource(issuer.zeroSslApi, issuer.settings.zeroSslApiBase, issuer.settings.zeroSslApiKey,
                                        issuer.settings.email, log_);
  }
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

// Orders from the issuer at `position` in the certificate's chain; on failure the next
// issuer is tried at once, and after the last one the attempt is retried later.
void CertificateManager::order(Target& t, std::shared_ptr<StorageLock> lock, size_t position) {
  const std::vector<size_t> chain = t.chain();
  const size_t index = chain[position];
  Issuer& issuer = *issuers_[index];
  std::vector<std::string> challenges;
  if (issuer.settings.local) {
    challenges.emplace_back("none (local CA)");
  } else if (issuer.dns01) {
    challenges.emplace_back("dns-01");
  } else {
    if (issuer.settings.http01) {
      challenges.emplace_back("http-01");
    }
    if (issuer.settings.tlsAlpn01) {
      challenges.emplace_back("tls-alpn-01");
    }
  }
  log_.info(t.installed ? "tls.renew" : "tls.obtain", t.installed ? "renewing certificate" : "obtaining certificate",
            {{"identifier", t.cert.name},
             {"ca", issuer.settings.ca},
             {"challenges", challenges},
             {"issuer_position", position + 1},
             {"issuers", chain.size()}});
  const auto started = std::chrono::steady_clock::now();
  auto next = [this, &t, lock, position, chain, &issuer](const AcmeError& err) {
    if (position + 1 >= chain.size()) {
      return failed(t, err, issuer.settings.ca);
    }
    nlohmann::json fields = err.toJson();
    fields["identifier"] = t.cert.name;
    fields["ca"] = issuer.settings.ca;
    fields["next_ca"] = issuers_[chain[position + 1]]->settings.ca;
    log_.error(t.installed ? "tls.renew" : "tls.obtain", "could not get certificate from issuer; trying the next one",
               fields);
    order(t, lock, position + 1);
  };
  if (issuer.settings.local) {
    return issueLocally(t, index, started, next);
  }
  withAccount(issuer, [this, &t, &issuer, index, lock, started, challenges, next](std::optional<AcmeError> err) {
    if (stopping_) {
      return;
    }
    if (err) {
      return next(*err);
    }
    OrderSettings settings;
    settings.names = {t.cert.name};
    settings.keyType = t.cert.keyType;
    settings.preferredChains = issuer.settings.preferredChains;
    settings.profile = issuer.settings.profile;
    settings.challengePreference = challenges;
    // RFC 9773 section 5: tell the CA that issued the served certificate which one this replaces.
    if (t.ari && t.info && t.servedBy == index) {
      settings.replaces = t.info->ariCertId;
    }
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
    ord->run([this, &t, index, lock, started, next](std::optional<AcmeError> e, IssuedCertificate cert) mutable {
      if (stopping_) {
        return;
      }
      if (e) {
        return next(*e);
      }
      issued(t, index, cert, started);
      lock.reset();
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

// A local issuer signs at once (no network); its failure goes to `next` like a CA's.
void CertificateManager::issueLocally(Target& t, size_t index, std::chrono::steady_clock::time_point started,
                                      const std::function<void(const AcmeError&)>& next) {
  Issuer& issuer = *issuers_[index];
  IssuedCertificate cert;
  try {
    const PrivateKey key = PrivateKey::generate(t.cert.keyType);
    cert.chainPem = issuer.settings.local->issue({t.cert.name}, key);
    cert.keyPem = key.toPem();
    cert.names = {t.cert.name};
  } catch (const std::exception& e) {
    return next(AcmeError{std::string("local CA: ") + e.what(), std::nullopt, {}});
  }
  issued(t, index, cert, started);
}

// Stores the new certificate, then swaps it in: until then the old one is served.
void CertificateManager::issued(Target& t, size_t issuerIndex, const IssuedCertificate& cert,
                                std::chrono::steady_clock::time_point started) {
  const Issuer& issuer = *issuers_[issuerIndex];
  const std::string& name = t.cert.name;
  CertificateInfo info;
  try {
    info = readCertificateInfo(cert.chainPem);
    storeIssued(storage_, issuer.key, name, {name}, cert, issuer.settings.ca);
  } catch (const std::exception& ex) {
    return failed(t, AcmeError{std::string("storing the certificate: ") + ex.what(), std::nullopt, {}},
                  issuer.settings.ca);
  }
  const bool renewed = t.installed;
  if (!install(t, cert.chainPem, cert.keyPem)) {
    return failed(t, AcmeError{"the issued certificate does not load", std::nullopt, {}}, issuer.settings.ca);
  }
  t.info = info;
  t.servedBy = issuerIndex;
  t.ari.reset();
  t.failures = 0;
  t.retryAt = {};
  t.revoked = false;
  const auto renewAt = renewalTime(info, t.cert.renewalWindowRatio);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  log_.info(renewed ? "tls.renew" : "tls.obtain",
            renewed ? "certificate renewed successfully" : "certificate obtained successfully",
            {{"identifier", name},
             {"issuer", issuer.key},
             {"ca", issuer.settings.ca},
             {"duration_ms", ms},
             {"expires_in", secondsUntil(info.notAfter)},
             {"renew_in", secondsUntil(renewAt)},
             {"renew_at", rfc3339(renewAt)}});
  schedule(t, renewAt);
}

bool CertificateManager::install(Target& t, const std::string& chain, const std::string& key) {
  try {
    serve(t, tls::loadCertificatePem(chain, key), chain);
  } catch (const std::exception& e) {
    log_.error("tls", "cannot install certificate", {{"identifier", t.cert.name}, {"error", e.what()}});
    return false;
  }
  t.installed = true;
  log_.info("tls", "certificate installed", {{"identifier", t.cert.name}});
  settleOnDemand(t.cert.name, true);
  staple(t);
  return true;
}

void CertificateManager::serve(Target& t, std::shared_ptr<const tls::Certificate> cert, const std::string& chain) {
  store_->replaceFor(t.cert.name, cert);
  t.served = std::move(cert);
  t.servedChain = chain;
}

// Staples OCSP for the served certificate when it names a responder (ocsp_stapler.h).
void CertificateManager::staple(Target& t) {
  if (stopping_ || !t.served) {
    return;
  }
  OcspStapler::Hooks hooks;
  hooks.isCurrent = [this, &t](const OcspStapler::Served& c) { return !stopping_ && t.served == c; };
  hooks.install = [this, &t](OcspStapler::Served c) { serve(t, std::move(c), t.servedChain); };
  hooks.revoked = [this, &t] {
    if (stopping_ || t.revoked) {
      return;
    }
    t.revoked = true;
    t.retryAt = {};
    t.failures = 0;
    if (t.timer != nullptr) {
      uv_timer_stop(t.timer);
    }
    obtain(t, 0);
  };
  ocsp_->staple(t.cert.name, t.served, t.servedChain, std::move(hooks));
}

void CertificateManager::failed(Target& t, const AcmeError& err, const std::string& ca) {
  if (stopping_) {
    return;
  }
  const char* logger = t.installed ? "tls.renew" : "tls.obtain";
  nlohmann::json fields = err.toJson();
  fields["identifier"] = t.cert.name;
  fields["ca"] = ca;
  log_.error(logger, "could not get certificate from issuer", fields);
  if (!t.installed && onDemandGivesUp(t)) {
    return;  // on-demand: the waiting handshakes fail; the next handshake tries again
  }
  const auto lifetime = t.info ? std::chrono::duration_cast<std::chrono::seconds>(t.info->notAfter - t.info->notBefore)
                               : std::chrono::seconds(0);
  const auto wait = retryDelay(++t.failures, err.retryAfter, lifetime);
  t.retryAt = Clock::now() + wait;
  log_.warn(logger, "will retry",
            {{"identifier", t.cert.name},
             {"attempt", t.failures},
             {"retrying_in", wait.count()},
             {"retry_at", rfc3339(t.retryAt)},
             {"still_serving", t.installed}});
  schedule(t, t.retryAt);
}

}  // namespace gatehouse::acme
