// CertificateManager: what the serving workers see. A certificate (from storage or just
// issued) is swapped into the runtime's CertificateStore for its name, and its OCSP staple
// kept fresh; an OCSP answer saying `revoked` makes it due at once.
#include "manager/certificate_manager.h"
#include "manager/certificate_manager_parts.h"
#include "manager/issuer_chain.h"
#include "manager/ocsp_stapler.h"

namespace gatehouse::acme {

// Installs the newest valid certificate any issuer of the chain holds in storage (with
// `how.acceptExpired`, else an expired one). A damaged file is logged, named, and left alone.
void CertificateManager::loadFromStorage(Target& t, StoredLookup how) {
  const std::string& name = t.cert.name;
  const std::vector<size_t> chain = t.chain();
  std::vector<std::string> keys;
  for (size_t i : chain) {
    keys.push_back(issuers_[i]->key);
  }
  try {
    std::vector<std::string> problems;
    auto stored = loadNewestStored(storage_, keys, name, &problems, how);
    for (const auto& p : problems) {
      // Left in place (never deleted): the next certificate stored replaces it atomically.
      log_.warn("tls", "stored certificate unusable; left in place",
                {{"identifier", name}, {"storage", storage_.describe()}, {"error", p}});
    }
    if (!stored) {
      return;
    }
    if (!stored->recovered.empty()) {
      log_.warn("tls", "completed a save interrupted between its files",
                {{"identifier", name}, {"storage", storage_.describe()}, {"file", stored->recovered}});
    }
    if (t.served && t.info && t.info->notBefore == stored->info.notBefore &&
        t.info->ariCertId == stored->info.ariCertId) {
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

void CertificateManager::serve(Target& t, std::shared_ptr<const tls::Certificate> cert,
                               const std::string& chain) {
  store_->replaceFor(t.cert.name, cert);
  t.served = std::move(cert);
  t.servedChain = chain;
}

// Staples OCSP for the served certificate when it names a responder (ocsp_stapler.h).
void CertificateManager::staple(Target& t) {
  if (stopping_ || !t.served || !t.cert.ocspStapling) {
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
    obtain(t);
  };
  ocsp_->staple(t.cert.name, t.served, t.servedChain, std::move(hooks));
}

}  // namespace gatehouse::acme
