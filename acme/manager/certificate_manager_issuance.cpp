// CertificateManager: getting a certificate. The storage lock (shared with other processes
// on the same storage), the ACME account per issuer, the order from each issuer of the
// certificate's chain in turn (or the local CA's signature), and storing the result.
#include "manager/certificate_manager.h"
#include "manager/certificate_manager_parts.h"
#include "manager/issuer_chain.h"
#include "protocol/acme_account.h"
#include "protocol/acme_order.h"
#include "protocol/zerossl_eab.h"
#include "service/storage_lock.h"
#include "solvers/shared_challenge_solver.h"
#include "storage/storage_keys.h"
#include "util/uv_delay.h"

namespace gatehouse::acme {

namespace {
constexpr int kMaxLockWaits = 120;  // one-second waits for a lock another process holds

// The CA no longer knows the account this process signs with (a CA that lost its database,
// e.g. a restarted test CA): every order would fail the same way until a restart.
bool accountForgotten(const AcmeError& e) {
  return e.problem && e.problem->is("accountDoesNotExist");
}
}  // namespace

void CertificateManager::obtain(Target& t) {
  jobs_.submit(t.cert.name, [this, &t](JobQueue::Slot slot) { attempt(t, 0, std::move(slot)); });
}

void CertificateManager::attempt(Target& t, int lockAttempts, JobQueue::Slot slot) {
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
    runAfter(&loop_, std::chrono::seconds(1),
             [this, &t, lockAttempts, slot] { attempt(t, lockAttempts + 1, slot); });
    return;
  }
  auto lock = std::make_shared<StorageLock>(&loop_, storage_, lockName, FileStorage::kLockRefresh);
  log_.info("tls.obtain", "lock acquired", {{"identifier", t.cert.name}});
  // Another process (a Caddy or a Gatehouse sharing this storage) may have done the job:
  // storage then holds a newer certificate than the one served, not yet due.
  const auto served = t.info ? std::optional(t.info->notBefore) : std::nullopt;
  loadFromStorage(t, {.completeInterrupted = true});
  if (t.info && (!served || t.info->notBefore != *served) &&
      Clock::now() < renewalTime(*t.info, t.cert.renewalWindowRatio)) {
    log_.info("tls.obtain", "certificate already obtained by another process", {{"identifier", t.cert.name}});
    return schedule(t, renewalTime(*t.info, t.cert.renewalWindowRatio));
  }
  order(t, std::move(lock), std::move(slot), 0);
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
    account.fetchEab = zeroSslEabSource(issuer.zeroSslApi, issuer.settings.zeroSslApiBase,
                                        issuer.settings.zeroSslApiKey, issuer.settings.email, log_);
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

// Drops the account this process set up, so that the next withAccount() looks the stored key
// up at the CA again (registering it anew when the CA still does not know it, as at
// start-up). Only when `kid` is still the one in use: a concurrent order that failed with
// the old account must not throw away the one another order has just registered.
void CertificateManager::forgetAccount(Issuer& issuer, const std::string& kid) {
  if (issuer.client->kid() != kid || issuer.accountPending) {
    return;
  }
  log_.warn("tls.issuance.acme", "the CA no longer knows the ACME account; looking it up again",
            {{"ca", issuer.settings.ca}, {"account", kid}});
  issuer.accountReady = false;
  issuer.client->forgetAccountUrl();
}

// Orders from the issuer at `position` in the certificate's chain; on failure the next
// issuer is tried at once, and after the last one the attempt is retried later.
void CertificateManager::order(Target& t, std::shared_ptr<StorageLock> lock, JobQueue::Slot slot,
                               size_t position, bool accountRenewed) {
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
  log_.info(t.installed ? "tls.renew" : "tls.obtain",
            t.installed ? "renewing certificate" : "obtaining certificate",
            {{"identifier", t.cert.name},
             {"ca", issuer.settings.ca},
             {"challenges", challenges},
             {"issuer_position", position + 1},
             {"issuers", chain.size()}});
  const auto started = std::chrono::steady_clock::now();
  auto next = [this, &t, lock, slot, position, chain, &issuer](const AcmeError& err) {
    if (position + 1 >= chain.size()) {
      return failed(t, err, issuer.settings.ca);
    }
    nlohmann::json fields = err.toJson();
    fields["identifier"] = t.cert.name;
    fields["ca"] = issuer.settings.ca;
    fields["next_ca"] = issuers_[chain[position + 1]]->settings.ca;
    log_.error(t.installed ? "tls.renew" : "tls.obtain",
               "could not get certificate from issuer; trying the next one", fields);
    order(t, lock, slot, position + 1);
  };
  if (issuer.settings.local) {
    return issueLocally(t, index, started, next);
  }
  withAccount(issuer, [this, &t, &issuer, index, lock, slot, position, accountRenewed, started, challenges,
                       next](std::optional<AcmeError> err) {
    if (stopping_) {
      return;
    }
    if (err) {
      return next(*err);
    }
    paced(issuer, t.cert.name,
          [this, &t, index, lock, slot, position, accountRenewed, started, challenges, next] {
            placeOrder(t, index, {lock, slot, position, accountRenewed, started, challenges, next});
          });
  });
}

// The ACME order itself, once the account is set up and the pacer let it start.
void CertificateManager::placeOrder(Target& t, size_t index, IssuerTry job) {
  Issuer& issuer = *issuers_[index];
  OrderSettings settings;
  settings.names = {t.cert.name};
  settings.keyType = t.cert.keyType;
  settings.preferredChains = issuer.settings.preferredChains;
  settings.profile = issuer.settings.profile;
  settings.challengePreference = job.challenges;
  // RFC 9773 section 5: tell the CA that issued the served certificate which one this replaces.
  if (t.ari && t.info && t.servedBy == index) {
    settings.replaces = t.info->ariCertId;
  }
  std::map<std::string, ChallengeSolver*> solvers;
  // HTTP-01 and TLS-ALPN-01 answers also go to storage, for servers sharing it (kept
  // alive by the order's callback).
  std::vector<std::shared_ptr<SharedChallengeSolver>> shared;
  auto sharing = [&](ChallengeSolver* local) {
    shared.push_back(std::make_shared<SharedChallengeSolver>(*local, storage_, issuer.key));
    return shared.back().get();
  };
  if (issuer.dns01) {
    solvers["dns-01"] = issuer.dns01.get();
  } else if (issuer.settings.http01) {
    solvers["http-01"] = sharing(issuer.http01Standalone != nullptr ? issuer.http01Standalone : &http01_);
  }
  if (!issuer.dns01 && issuer.settings.tlsAlpn01) {
    solvers["tls-alpn-01"] =
        sharing(issuer.tlsAlpn01Standalone != nullptr ? issuer.tlsAlpn01Standalone : &tlsAlpn01_);
  }
  auto ord = std::make_shared<AcmeOrder>(issuer.client, std::move(solvers), settings, log_);
  ord->run([this, &t, &issuer, index, job = std::move(job), kid = issuer.client->kid(), shared](
               std::optional<AcmeError> e, IssuedCertificate cert) mutable {
    if (stopping_) {
      return;
    }
    // Once per attempt: look the account up (or register it) again and re-order now,
    // rather than failing every attempt with an account the CA has dropped. An order
    // whose account changed under it (another order found the CA had forgotten it) is
    // re-placed the same way.
    if (e && !job.accountRenewed && (accountForgotten(*e) || issuer.client->kid() != kid)) {
      forgetAccount(issuer, kid);
      return order(t, job.lock, job.slot, job.position, true);
    }
    if (e) {
      return job.next(*e);
    }
    issued(t, index, cert, job.started);
    job.lock.reset();
    if (job.slot) {
      job.slot->release();  // the job is done: the next queued one may start
    }
  });
}

// certmagic 0.17 throttles every order (obtain or renew, on-demand too) per CA and account
// email, logging before and after the wait as it does.
void CertificateManager::paced(const Issuer& issuer, const std::string& name, std::function<void()> go) {
  const std::string key = issuer.settings.ca + "," + issuer.settings.email;
  OrderPacer& pacer = pacers_.try_emplace(key).first->second;
  const auto now = OrderPacer::Clock::now();
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(pacer.reserve(now) - now);
  const nlohmann::json fields = {
      {"identifiers", {name}}, {"ca", issuer.settings.ca}, {"account", issuer.settings.email}};
  log_.info("tls.issuance.acme", "waiting on internal rate limiter", fields);
  // A timer counts from the loop's cached time, which lags behind `now` by as much as this
  // loop turn has run (seconds on a busy loop: the 11th order then started early).
  uv_update_time(&loop_);
  runAfter(&loop_, wait, [this, fields, go = std::move(go)] {
    if (stopping_) {
      return;  // shutdown made the wait due now: no order
    }
    log_.info("tls.issuance.acme", "done waiting on internal rate limiter", fields);
    go();
  });
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
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count();
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

}  // namespace gatehouse::acme
