#include "gatehouse/tls/certificate_store.h"

#include <algorithm>

namespace gatehouse::tls {

CertificateIndex::CertificateIndex(std::vector<CertificatePtr> certs) : certs_(std::move(certs)) {
  for (const auto& c : certs_) {
    for (const auto& n : c->names()) {
      byName_[n].push_back(c);
    }
  }
}

const std::vector<CertificatePtr>* CertificateIndex::exact(std::string_view name) const {
  auto it = byName_.find(std::string(name));
  return it == byName_.end() ? nullptr : &it->second;
}

std::vector<CertificatePtr> CertificateIndex::lookup(std::string_view name) const {
  if (const auto* hit = exact(name)) {
    return *hit;
  }
  size_t dot = name.find('.');
  if (dot != std::string_view::npos && dot > 0) {
    std::string wildcard = "*" + std::string(name.substr(dot));
    if (const auto* hit = exact(wildcard)) {
      return *hit;
    }
  }
  return {};
}

CertificateStore::CertificateStore()
    : index_(std::make_shared<const CertificateIndex>(std::vector<CertificatePtr>{})) {}

void CertificateStore::publish(std::vector<CertificatePtr> certs) {
  index_.store(std::make_shared<const CertificateIndex>(std::move(certs)));
}

void CertificateStore::install(CertificatePtr cert) {
  std::lock_guard lock(writeMu_);
  auto certs = index_.load()->all();
  std::erase_if(certs, [&](const CertificatePtr& c) { return c->fingerprint() == cert->fingerprint(); });
  certs.push_back(std::move(cert));
  publish(std::move(certs));
}

void CertificateStore::remove(const std::string& fingerprint) {
  std::lock_guard lock(writeMu_);
  managed_.erase(fingerprint);
  auto certs = index_.load()->all();
  std::erase_if(certs, [&](const CertificatePtr& c) { return c->fingerprint() == fingerprint; });
  publish(std::move(certs));
}

void CertificateStore::replaceFor(const std::string& name, CertificatePtr cert) {
  std::lock_guard lock(writeMu_);
  auto certs = index_.load()->all();
  std::erase_if(certs, [&](const CertificatePtr& c) {
    const auto& n = c->names();
    if (!managed_.contains(c->fingerprint()) || std::find(n.begin(), n.end(), name) == n.end()) {
      return false;
    }
    managed_.erase(c->fingerprint());
    return true;
  });
  // The same leaf with a new OCSP staple is another object with the same fingerprint.
  std::erase_if(certs, [&](const CertificatePtr& c) { return c->fingerprint() == cert->fingerprint(); });
  managed_.insert(cert->fingerprint());
  certs.push_back(std::move(cert));
  publish(std::move(certs));
}

bool CertificateStore::swapStaple(const CertificatePtr& current, CertificatePtr next) {
  std::lock_guard lock(writeMu_);
  auto certs = index_.load()->all();
  auto it = std::find(certs.begin(), certs.end(), current);
  if (it == certs.end()) {
    return false;
  }
  *it = std::move(next);
  publish(std::move(certs));
  return true;
}

void CertificateStore::replaceAll(std::vector<CertificatePtr> certs) {
  std::lock_guard lock(writeMu_);
  managed_.clear();
  publish(std::move(certs));
}

}  // namespace gatehouse::tls
