#include "internal/internal_issuer.h"

#include <stdexcept>

#include "internal/x509_builder.h"

namespace gatehouse::acme::internal {

std::string InternalIssuer::issue(const std::vector<std::string>& names, const PrivateKey& key) {
  if (names.empty()) {
    throw std::runtime_error("internal issuer: no names to issue for");
  }
  const auto now = std::chrono::system_clock::now();
  CertRequest req;
  req.kind = CertKind::Leaf;
  // Caddy 2.6.2's certmagic (v0.17) puts no CN in its CSR, so the leaf's subject is empty
  // and the names live only in the (then critical) SAN extension.
  req.names = names;
  req.notBefore = now;
  req.notAfter = now + lifetime_;
  const X509* issuer = signWithRoot_ ? ca_->root() : ca_->intermediate();
  EVP_PKEY* issuerKey = signWithRoot_ ? ca_->rootKey() : ca_->intermediateKey();
  // A leaf never outlives the certificate that signs it.
  const auto issuerEnd = notAfterOf(issuer);
  if (req.notAfter > issuerEnd) {
    req.notAfter = issuerEnd;
  }
  X509Ptr leaf = signCertificate(req, key.get(), issuer, issuerKey);
  return certificateToPem(leaf.get()) + certificateToPem(issuer);
}

}  // namespace gatehouse::acme::internal
