#include "manager/challenge_certificates.h"

#include <stdexcept>

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

}  // namespace gatehouse::acme
