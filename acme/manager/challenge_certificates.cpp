#include "manager/challenge_certificates.h"

#include <stdexcept>

#include "crypto/tls_alpn_cert.h"

namespace gatehouse::acme {

std::shared_ptr<const tls::Certificate> ChallengeCertificates::challengeCertificate(
    std::string_view serverName) const {
  auto pem = responder_->tlsAlpn01(serverName);
  if (!pem) {
    return nullptr;
  }
  try {
    return tls::loadCertificatePem(pem->certPem, pem->keyPem);
  } catch (const std::invalid_argument&) {
    return nullptr;
  }
}

std::shared_ptr<const tls::Certificate> ChallengeCertificates::storedChallengeCertificate(
    std::string_view serverName) const {
  const auto& stored = responder_->stored();
  if (!stored) {
    return nullptr;
  }
  const auto challenge = stored->load(serverName);
  if (!challenge) {
    return nullptr;
  }
  try {
    auto pem = buildTlsAlpnCertificate(challenge->identifier, challenge->keyAuthorization);
    return tls::loadCertificatePem(pem.certPem, pem.keyPem);
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace gatehouse::acme
