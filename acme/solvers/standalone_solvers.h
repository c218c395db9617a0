#pragma once
// HTTP-01 and TLS-ALPN-01 on a port none of our servers listens on (alt_http_port /
// alt_tlsalpn_port, or http_port / https_port with no server there), as certmagic's
// solvers do: a listener of our own opens on bind_host:port when the first challenge is
// presented and closes when the last one is cleaned up. One solver per address is shared
// by every issuer and concurrent order using it. A port held by another program fails the
// challenge with a message saying what to change. Loop-thread only.

#include <uv.h>

#include <memory>
#include <set>
#include <string>

#include "gatehouse/acme/challenge_responder.h"
#include "gatehouse/tls/challenge_provider.h"
#include "log/acme_log.h"
#include "solvers/challenge_address.h"
#include "solvers/challenge_solver.h"
#include "solvers/http01_listener.h"
#include "solvers/tls_alpn01_listener.h"

namespace gatehouse::acme {

class StandaloneSolver : public ChallengeSolver {
 public:
  // Closes the listener (manager shutdown); the loop finishes closing it.
  virtual void shutdown() = 0;
};

class StandaloneHttp01Solver final : public StandaloneSolver {
 public:
  StandaloneHttp01Solver(uv_loop_t* loop, ChallengeResponder& responder, ChallengeAddress address,
                         const AcmeLog& log)
      : loop_(loop), responder_(responder), address_(std::move(address)), log_(log) {}
  [[nodiscard]] std::string_view type() const override { return "http-01"; }
  void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) override;
  void cleanUp(const ChallengeInfo& c, std::function<void()> done) override;
  void shutdown() override { listener_.reset(); }

 private:
  uv_loop_t* loop_;
  ChallengeResponder& responder_;
  ChallengeAddress address_;
  const AcmeLog& log_;
  std::unique_ptr<Http01Listener> listener_;
  std::set<std::string> presented_;  // tokens
};

class StandaloneTlsAlpn01Solver final : public StandaloneSolver {
 public:
  StandaloneTlsAlpn01Solver(uv_loop_t* loop, ChallengeResponder& responder,
                            std::shared_ptr<const tls::ChallengeCertificateProvider> certificates,
                            ChallengeAddress address, const AcmeLog& log)
      : loop_(loop),
        responder_(responder),
        certificates_(std::move(certificates)),
        address_(std::move(address)),
        log_(log) {}
  [[nodiscard]] std::string_view type() const override { return "tls-alpn-01"; }
  void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) override;
  void cleanUp(const ChallengeInfo& c, std::function<void()> done) override;
  void shutdown() override { listener_.reset(); }

 private:
  uv_loop_t* loop_;
  ChallengeResponder& responder_;
  std::shared_ptr<const tls::ChallengeCertificateProvider> certificates_;
  ChallengeAddress address_;
  const AcmeLog& log_;
  std::unique_ptr<TlsAlpn01Listener> listener_;
  std::set<std::string> presented_;  // identifiers
};

// What to tell a person when a challenge listener cannot bind (exposed for unit tests).
std::string challengeListenError(std::string_view challenge, const ChallengeAddress& address, int uvError);

}  // namespace gatehouse::acme
