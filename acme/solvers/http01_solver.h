#pragma once
// HTTP-01 (RFC 8555 section 8.3): publishes the key authorization through the shared
// ChallengeResponder, which the engine's port-80 listener (or Http01Listener) serves.

#include "gatehouse/acme/challenge_responder.h"
#include "solvers/challenge_solver.h"

namespace gatehouse::acme {

class Http01Solver final : public ChallengeSolver {
 public:
  explicit Http01Solver(ChallengeResponder& responder) : responder_(responder) {}
  [[nodiscard]] std::string_view type() const override { return "http-01"; }
  void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) override {
    responder_.setHttp01(c.token, c.keyAuthorization);
    done(std::nullopt);
  }
  void cleanUp(const ChallengeInfo& c, std::function<void()> done) override {
    responder_.clearHttp01(c.token);
    done();
  }

 private:
  ChallengeResponder& responder_;
};

}  // namespace gatehouse::acme
