#include "provision/internal_certificates.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "crypto/certificate_info.h"
#include "crypto/private_key.h"
#include "log/process_log.h"
#include "storage/storage_keys.h"

namespace gatehouse::provision {

using Clock = std::chrono::system_clock;

namespace {

// A failed renewal is retried after this, bounded by the certificate's expiry.
constexpr std::chrono::seconds kRetryDelay{30};
// The thread wakes at least this often, so a clock jump is noticed.
constexpr std::chrono::minutes kMaxSleep{10};

std::string metaJson(const std::string& name) {
  nlohmann::ordered_json meta = {{"sans", nlohmann::ordered_json::array({name})}, {"issuer_data", nullptr}};
  return meta.dump();
}

}  // namespace

Clock::time_point renewalTime(Clock::time_point notBefore, Clock::time_point notAfter, double ratio) {
  const auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(notAfter - notBefore);
  return notAfter - std::chrono::duration_cast<Clock::duration>(lifetime * ratio);
}

InternalCertificates::InternalCertificates(std::shared_ptr<acme::Storage> storage,
                                           std::shared_ptr<tls::CertificateStore> store)
    : storage_(std::move(storage)), store_(std::move(store)) {}

InternalCertificates::~InternalCertificates() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void InternalCertificates::obtain(Managed& m, bool allowStored) {
  const std::string key = m.issuer->issuerKey();
  const std::string certKey = acme::storage_keys::siteCert(key, m.name);
  const std::string keyKey = acme::storage_keys::sitePrivateKey(key, m.name);
  const auto now = Clock::now();
  if (allowStored) {
    auto certPem = storage_->load(certKey);
    auto keyPem = storage_->load(keyKey);
    if (certPem && keyPem && acme::certificateMatchesKey(*certPem, *keyPem)) {
      const auto info = acme::readCertificateInfo(*certPem);
      const auto renewAt = renewalTime(info.notBefore, info.notAfter, m.renewalWindowRatio);
      if (now < renewAt) {
        store_->replaceFor(m.name, tls::loadCertificatePem(*certPem, *keyPem));
        m.renewAt = renewAt;
        return;
      }
    }
  }
  // Caddy 2.6.2's lines for a certificate its local CA signs (certmagic logs them for every
  // issuer); nothing is logged for one loaded from storage, as there.
  const bool renewing = !allowStored;
  log::logOwn(log::Level::Info, renewing ? "tls.renew" : "tls.obtain",
              renewing ? "renewing certificate" : "obtaining certificate",
              config::Json{{"identifier", m.name}});
  acme::PrivateKey privateKey = acme::PrivateKey::generate(acme::KeyType::P256);
  const std::string chain = m.issuer->issue({m.name}, privateKey);
  const std::string keyPem = privateKey.toPem();
  auto cert = tls::loadCertificatePem(chain, keyPem);
  // All three written before any is replaced (a full disk keeps the old pair usable).
  const std::string meta = metaJson(m.name);
  storage_->storeAll({{keyKey, keyPem}, {certKey, chain}, {acme::storage_keys::siteMeta(key, m.name), meta}});
  store_->replaceFor(m.name, cert);
  const auto info = acme::readCertificateInfo(chain);
  m.renewAt = renewalTime(info.notBefore, info.notAfter, m.renewalWindowRatio);
  log::logOwn(log::Level::Info, renewing ? "tls.renew" : "tls.obtain",
              renewing ? "certificate renewed successfully" : "certificate obtained successfully",
              config::Json{{"identifier", m.name}});
}

void InternalCertificates::manage(const std::string& name, std::shared_ptr<acme::CertificateIssuer> issuer,
                                  double renewalWindowRatio) {
  Managed m{name, std::move(issuer), {}, renewalWindowRatio};
  obtain(m, true);
  std::lock_guard lock(mu_);
  managed_.push_back(std::move(m));
}

void InternalCertificates::startRenewal() {
  if (!managed_.empty() && !thread_.joinable()) {
    thread_ = std::thread([this] { renewLoop(); });
  }
}

void InternalCertificates::renewLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto next = Clock::now() + kMaxSleep;
    for (const auto& m : managed_) {
      next = std::min(next, m.renewAt);
    }
    cv_.wait_until(lock, next, [this] { return stop_; });
    if (stop_) {
      break;
    }
    for (auto& m : managed_) {
      if (Clock::now() < m.renewAt) {
        continue;
      }
      try {
        obtain(m, false);
      } catch (const std::exception& e) {
        log::logOwn(
            log::Level::Error, "tls.renew", "could not get certificate from issuer",
            config::Json{{"identifier", m.name}, {"issuer", m.issuer->issuerKey()}, {"error", e.what()}});
        m.renewAt = Clock::now() + kRetryDelay;
      }
    }
  }
}

}  // namespace gatehouse::provision
