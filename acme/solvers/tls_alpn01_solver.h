#pragma once
// TLS-ALPN-01 (RFC 8737): builds the challenge certificate and publishes it through the
// ChallengeResponder for the engine's acme-tls/1 handshake hook.

#include "crypto/tls_alpn_cert.h"
#include "gatehouse/acme/challenge_responder.h"
#include "solvers/challenge_solver.h"

namespace gatehouse::acme {

class TlsAlpn01Solver final : public ChallengeSolver {
 public:
  explicit TlsAlpn01Solver(ChallengeResponder& responder) : responder_(responder) {}
  [[nodiscard]] std::string_view type() const override { return "tls-alpn-01"; }
  void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) override {
    try {
      auto cert = buildTlsAlpnCertificate(c.identifier, c.keyAuthorization);
      responder_.setTlsAlpn01(c.identifier, {std::move(cert.certPem), std::move(cert.keyPem)});
    } catch (const std::exception& e) {
      return done(std::string(e.what()));
    }
    done(std::nullopt);
  }
  void cleanUp(const ChallengeInfo& c, std::function<void()> done) override {
    responder_.clearTlsAlpn01(c.identifier);
    done();
  }

 private:
  ChallengeResponder& responder_;
};

}  // namespace gatehouse::acme
