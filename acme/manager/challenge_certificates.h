#pragma once
// The engine's acme-tls/1 hook backed by the ChallengeResponder the TLS-ALPN-01 solver
// fills: the challenge certificate for a name, while its challenge is pending.

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

 private:
  std::shared_ptr<const ChallengeResponder> responder_;
};

}  // namespace gatehouse::acme
