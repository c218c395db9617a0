#pragma once
// The engine's acme-tls/1 hook backed by the ChallengeResponder the TLS-ALPN-01 solver
// fills: the challenge certificate for a name, while its challenge is pending; else one
// built from a challenge another server sharing the storage presented.

#include <memory>

#include "gatehouse/acme/challenge_responder.h"
#include "gatehouse/tls/challenge_provider.h"

namespace gatehouse::acme {

class ChallengeCertificates final : public tls::ChallengeCertificateProvider {
 public:
  explicit ChallengeCertificates(std::shared_ptr<const ChallengeResponder> responder)
      : responder_(std::move(responder)) {}
  [[nodiscard]] std::shared_ptr<const tls::Certificate> challengeCertificate(
      std::string_view serverName) const override;
  [[nodiscard]] bool looksUpStored() const override { return responder_->stored() != nullptr; }
  // certmagic builds the certificate from the stored challenge's identifier and key
  // authorization, whatever its type.
  [[nodiscard]] std::shared_ptr<const tls::Certificate> storedChallengeCertificate(
      std::string_view serverName) const override;

 private:
  std::shared_ptr<const ChallengeResponder> responder_;
};

}  // namespace gatehouse::acme
