#include "service/cert_service.h"

#include <csignal>
#include <set>

#include "crypto/certificate_info.h"
#include "manager/issuer_chain.h"
#include "manager/renewal_schedule.h"
#include "protocol/acme_account.h"
#include "protocol/acme_order.h"
#include "service/deploy_hook.h"
#include "service/file_deployer.h"
#include "service/renewal_policy.h"
#include "service/storage_lock.h"
#include "storage/storage_keys.h"
#include "util/uv_close_free.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {
constexpr int kMaxLockWaits = 120;  // one-second waits for a lock another process holds
constexpr std::chrono::seconds kDeployLimit{300};

std::set<std::string> lowerSet(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (auto n : names) {
    for (char& c : n)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.insert(n);
  }
  return out;
}

int64_t secondsUntil(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t - Clock::now()).count();
}
}  // namespace

struct CertService::Target {
  uv_timer_t* timer = nullptr;  // daemon: the next check
  std::string replaces;         // ARI CertID of the certificate being renewed, when the CA has ARI
  std::optional<AriPick> ari;   // the moment picked in the CA's last ARI window
  int failures = 0;
  Clock::time_point retryAt{};  // after a failure: no new attempt before (backoff, Retry-After)
  CertService* service = nullptr;
  size_t index = 0;
};

CertService::CertService(ServiceConfig config, const AcmeLog& log)
    : config_(std::move(config)),
      log_(log),
      storage_(config_.storageRoot.empty() ? FileStorage::defaultRoot() : config_.storageRoot),
      issuerKey_(storage_keys::issuerKey(config_.ca)) {
  uv_loop_init(&loop_);
  log_.info("tls", "certificate service",
            {{"ca", config_.ca},
             {"storage", storage_.describe()},
             {"challenge", config_.dnsChallenge ? "dns-01" : "http-01"}});
  http_ = std::make_shared<HttpClient>(&loop_, HttpClientOptions{config_.caRoot, "Gatehouse", 8 << 20});
  client_ = std::make_shared<AcmeClient>(http_, config_.ca);
  if (config_.dnsChallenge)
    dns01_ = std::make_unique<Dns01Solver>(&loop_, dns::parseDnsChallenge(*config_.dnsChallenge), log_);
  for (size_t i = 0; i < config_.certificates.size(); ++i) {
    auto t = std::make_unique<Target>();
    t->service = this;
    t->index = i;
    targets_.push_back(std::move(t));
  }
}

CertService::~CertService() {
  stop();
  client_.reset();
  http_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks of everything stopped above
  uv_loop_close(&loop_);
}

// The challenge listener starts only when an order needs it, so a run with nothing due
// does not need the port (nginx may hold it and proxy challenge paths to http_port).
std::optional<std::string> CertService::prepareSolver() {
  if (dns01_ || listener_)
    return std::nullopt;
  auto listener = std::make_unique<Http01Listener>(&loop_, responder_);
  const int rc = listener->listen(config_.bindHost, config_.httpPort);
  const std::string address =
      (config_.bindHost.empty() ? "*" : config_.bindHost) + ":" + std::to_string(config_.httpPort);
  if (rc != 0)
    return "cannot listen for HTTP-01 challenges on " + address + ": " + uv_strerror(rc);
  listener_ = std::move(listener);
  log_.info("tls", "serving HTTP-01 challenges", {{"address", address}});
  return std::nullopt;
}

void CertService::stop() {
  if (stopping_)
    return;
  stopping_ = true;
  client_->shutdown();
  if (dns01_)
    dns01_->shutdown();
  if (listener_)
    listener_->close();
  for (auto& t : targets_)
    closeAndFree(t->timer);
  closeAndFree(sigint_);
  closeAndFree(sigterm_);
}

int CertService::runOnce() {
  auto remaining = std::make_shared<size_t>(targets_.size());
  bool allOk = true;
  for (size_t i = 0; i < targets_.size(); ++i) {
    process(i, [this, remaining, &allOk](Outcome o) {
      allOk = allOk && o.ok;
      if (--*remaining == 0)
        stop();
    });
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  return allOk ? 0 : 1;
}

int CertService::runDaemon() {
  daemon_ = true;
  auto onSignal = [](uv_signal_t* s, int signum) {
    auto* self = static_cast<CertService*>(s->loop->data);
    self->log_.info("tls", "shutting down", {{"signal", signum}});
    self->stop();
  };
  loop_.data = this;
  for (auto [slot, signum] : {std::pair{&sigint_, SIGINT}, std::pair{&sigterm_, SIGTERM}}) {
    auto h = std::make_unique<uv_signal_t>();
    uv_signal_init(&loop_, h.get());
    uv_signal_start(h.get(), onSignal, signum);
    *slot = h.release();
  }
  for (size_t i = 0; i < targets_.size(); ++i) {
    auto timer = std::make_unique<uv_timer_t>();
    uv_timer_init(&loop_, timer.get());
    timer->data = targets_[i].get();
    targets_[i]->timer = timer.release();
    schedule(i, Clock::now());
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  return 0;
}

void CertService::schedule(size_t index, Clock::time_point at) {
  Target& t = *targets_[index];
  if (stopping_ || t.timer == nullptr)
    return;
  // Look again at least every renew_interval: the clock may jump, the files may be changed.
  const auto delay = std::clamp<int64_t>(secondsUntil(at), 0, config_.renewInterval.count());
  uv_timer_start(
      t.timer,
      [](uv_timer_t* h) {
        auto* target = static_cast<Target*>(h->data);
        CertService* self = target->service;
        const size_t i = target->index;
        if (Clock::now() < target->retryAt) {
          // Woken by the renew_interval cap while backing off: the CA is not asked again
          // before the backoff (or its Retry-After) is over.
          return self->schedule(i, target->retryAt);
        }
        self->process(i, [self, i](Outcome o) {
          Target& tt = *self->targets_[i];
          if (o.ok) {
            tt.failures = 0;
            tt.retryAt = {};
            return self->schedule(i, o.nextCheck);
          }
          const auto wait = retryDelay(++tt.failures, o.retryAfter);
          tt.retryAt = Clock::now() + wait;
          self->log_.warn("tls.obtain", "will retry",
                          {{"identifiers", self->config_.certificates[i].names},
                           {"attempt", tt.failures},
                           {"retrying_in", wait.count()}});
          self->schedule(i, tt.retryAt);
        });
      },
      static_cast<uint64_t>(delay) * 1000, 0);
}

std::optional<std::pair<std::string, std::string>> CertService::loadStored(size_t index) {
  const std::string name = storage_keys::namesKey(config_.certificates[index].names);
  auto crt = storage_.load(storage_keys::siteCert(issuerKey_, name));
  auto key = storage_.load(storage_keys::sitePrivateKey(issuerKey_, name));
  if (!crt || !key)
    return std::nullopt;
  return std::pair{*crt, *key};
}

void CertService::process(size_t index, Done done) {
  checkStored(index, std::move(done));
}

void CertService::renewalDue(size_t index, const CertificateInfo& info,
                             std::function<void(bool, Clock::time_point)> done) {
  const auto fallback = defaultRenewalTime(info);
  if (info.ariCertId.empty())
    return done(Clock::now() >= fallback, fallback);
  fetchRenewalWindow(
      client_, info,
      [this, index, fallback, done](std::optional<RenewalWindow> window, const std::string& why) {
        if (!window) {
          if (!client_->directory().renewalInfo.empty())
            log_.warn("tls.cache.maintenance", "ARI renewal info unavailable; using the default window",
                      {{"identifiers", config_.certificates[index].names}, {"error", why}});
          return done(Clock::now() >= fallback, fallback);
        }
        Target& t = *targets_[index];
        t.ari = pickRenewalTime(*window, t.ari, randomUnit());
        log_.info("tls.cache.maintenance", "ARI renewal window",
                  {{"identifiers", config_.certificates[index].names},
                   {"window_start", rfc3339(window->start)},
                   {"window_end", rfc3339(window->end)},
                   {"selected_time", rfc3339(t.ari->at)}});
        done(Clock::now() >= t.ari->at, t.ari->at);
      });
}

void CertService::checkStored(size_t index, Done done) {
  const auto& target = config_.certificates[index];
  std::optional<std::pair<std::string, std::string>> stored;
  std::optional<CertificateInfo> info;
  try {
    stored = loadStored(index);
    const std::string name = storage_keys::namesKey(target.names);
    if (stored) {
      try {
        info = readCertificateInfo(stored->first);
      } catch (const std::exception& e) {
        throw std::runtime_error(storage_keys::siteCert(issuerKey_, name) + ": " + e.what());
      }
    }
    // Never deployed: a key from another issuance (or a damaged one) beside the chain.
    if (stored && !certificateMatchesKey(stored->first, stored->second))
      throw std::runtime_error(storage_keys::sitePrivateKey(issuerKey_, name) +
                               ": not the private key of the stored certificate (or not a private key)");
  } catch (const std::exception& e) {
    log_.warn("tls.obtain", "stored certificate unusable; obtaining a new one",
              {{"identifiers", target.names}, {"error", e.what()}});
    stored.reset();
  }
  if (!stored || !info || lowerSet(info->names) != lowerSet(target.names)) {
    return obtain(index, 0, std::move(done));
  }
  renewalDue(index, *info, [this, index, stored, info, done](bool due, Clock::time_point at) {
    if (due) {
      // RFC 9773 section 5: tell an ARI-capable CA which certificate this order replaces.
      targets_[index]->replaces = client_->directory().renewalInfo.empty() ? "" : info->ariCertId;
      log_.info(
          "tls.renew", "certificate is due for renewal",
          {{"identifiers", config_.certificates[index].names}, {"remaining", secondsUntil(info->notAfter)}});
      return obtain(index, 0, done);
    }
    install(index, stored->first, stored->second, at, done);
  });
}

void CertService::obtain(size_t index, int lockAttempts, Done done) {
  const auto& target = config_.certificates[index];
  if (client_->isShutdown())
    return done({});
  const std::string lockName = storage_keys::issueLockName(storage_keys::namesKey(target.names));
  bool locked = false;
  try {
    locked = storage_.tryLock(lockName);
  } catch (const std::exception& e) {
    log_.error("tls.obtain", "cannot take the storage lock",
               {{"identifiers", target.names}, {"error", e.what()}});
    return done({false, {}, {}});
  }
  if (!locked) {
    if (lockAttempts == 0)
      log_.info("tls.obtain", "waiting for another process's lock", {{"lock", lockName}});
    if (lockAttempts >= kMaxLockWaits || client_->isShutdown()) {
      log_.error("tls.obtain", "gave up waiting for the storage lock", {{"lock", lockName}});
      return done({false, {}, {}});
    }
    runAfter(&loop_, std::chrono::seconds(1),
             [this, index, lockAttempts, done] { obtain(index, lockAttempts + 1, done); });
    return;
  }
  auto lock = std::make_shared<StorageLock>(&loop_, storage_, lockName, FileStorage::kLockRefresh);
  log_.info("tls.obtain", "lock acquired", {{"identifier", target.names.front()}});
  // Another process may have finished the job while we waited for its lock.
  try {
    if (auto stored = loadStored(index)) {
      const auto info = readCertificateInfo(stored->first);
      if (lowerSet(info.names) == lowerSet(target.names) && Clock::now() < defaultRenewalTime(info) &&
          certificateMatchesKey(stored->first, stored->second)) {
        log_.info("tls.obtain", "certificate already obtained by another process",
                  {{"identifiers", target.names}});
        lock.reset();
        return install(index, stored->first, stored->second, defaultRenewalTime(info), done);
      }
    }
  } catch (const std::exception&) {
    // Unusable: replaced below.
  }
  issue(index, std::move(lock), std::move(done));
}

void CertService::issue(size_t index, std::shared_ptr<StorageLock> lock, Done done) {
  const auto& target = config_.certificates[index];
  nlohmann::json obtaining{{"identifiers", target.names}, {"ca", config_.ca}};
  if (const std::string& profile = target.profile.value_or(config_.profile); !profile.empty())
    obtaining["profile"] = profile;
  log_.info("tls.obtain", "obtaining certificate", obtaining);
  const auto started = std::chrono::steady_clock::now();
  auto failed = [this, index](const AcmeError& err, const Done& d) {
    nlohmann::json fields = err.toJson();
    fields["identifiers"] = config_.certificates[index].names;
    fields["ca"] = config_.ca;
    log_.error("tls.obtain", "could not get certificate from issuer", fields);
    d({false, {}, err.retryAfter});
  };
  if (auto err = prepareSolver())
    return failed(AcmeError{*err, std::nullopt, {}}, done);
  AccountSettings account{config_.email, config_.eab};
  ensureAccount(client_, storage_, account, log_, [=, this](std::optional<AcmeError> err) {
    if (err)
      return failed(*err, done);
    OrderSettings settings;
    settings.names = target.names;
    settings.keyType = target.keyType.value_or(config_.keyType);
    settings.profile = target.profile.value_or(config_.profile);
    settings.preferredChains = config_.preferredChains;
    settings.replaces = targets_[index]->replaces;
    std::map<std::string, ChallengeSolver*> solvers;
    if (dns01_) {
      solvers["dns-01"] = dns01_.get();
      settings.challengePreference = {"dns-01"};
    } else {
      solvers["http-01"] = &http01_;
      settings.challengePreference = {"http-01"};
    }
    auto order = std::make_shared<AcmeOrder>(client_, std::move(solvers), settings, log_);
    order->run([=, this](std::optional<AcmeError> e, IssuedCertificate cert) mutable {
      if (e && e->problem && e->problem->is("accountDoesNotExist")) {
        // The CA lost the account (--daemon outlives it): the retry looks the stored key
        // up again and registers it anew, instead of failing the same way every time.
        client_->forgetAccountUrl();
      }
      if (e)
        return failed(*e, done);
      const std::string name = storage_keys::namesKey(target.names);
      CertificateInfo info;
      try {
        info = readCertificateInfo(cert.chainPem);
        storeIssued(storage_, issuerKey_, name, target.names, cert, config_.ca);
      } catch (const std::exception& ex) {
        return failed(AcmeError{std::string("storing the certificate: ") + ex.what(), std::nullopt, {}},
                      done);
      }
      lock.reset();
      targets_[index]->replaces.clear();
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
              .count();
      log_.info("tls.obtain", "certificate obtained successfully",
                {{"identifiers", target.names},
                 {"issuer", issuerKey_},
                 {"duration_ms", ms},
                 {"not_after", secondsUntil(info.notAfter)}});
      install(index, cert.chainPem, cert.keyPem, defaultRenewalTime(info), done);
    });
  });
}

void CertService::install(size_t index, const std::string& chain, const std::string& key,
                          Clock::time_point next, Done done) {
  const auto& target = config_.certificates[index];
  bool changed = false;
  try {
    changed = deployFiles(target, chain, key);
  } catch (const std::exception& e) {
    log_.error("tls", "writing certificate files failed",
               {{"identifiers", target.names}, {"error", e.what()}});
    return done({false, {}, {}});
  }
  if (!changed) {
    log_.info("tls", "certificate files up to date",
              {{"identifiers", target.names},
               {"fullchain", target.fullchainPath},
               {"renew_in", secondsUntil(next)}});
    return done({true, next, {}});
  }
  log_.info(
      "tls", "certificate files written",
      {{"identifiers", target.names}, {"fullchain", target.fullchainPath}, {"privkey", target.privkeyPath}});
  if (target.deploy.empty())
    return done({true, next, {}});
  runDeployHook(&loop_, target, kDeployLimit, [this, index, next, done](std::optional<std::string> err) {
    const auto& t = config_.certificates[index];
    if (err) {
      log_.error("tls", "deploy command failed",
                 {{"identifiers", t.names}, {"command", t.deploy}, {"error", *err}});
      return done({false, {}, {}});
    }
    log_.info("tls", "deploy command succeeded", {{"identifiers", t.names}, {"command", t.deploy}});
    done({true, next, {}});
  });
}

}  // namespace gatehouse::acme
