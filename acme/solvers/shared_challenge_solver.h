#pragma once
// certmagic's distributed challenge solving, the writing half: while a challenge is
// presented, its token and key authorization sit in storage at
// acme/<issuer>/challenge_tokens/<name>.json (certmagic's key and JSON fields), so that
// another server sharing the storage (a Caddy, or a load-balanced peer) that receives the
// CA's validation request answers it (our reading half: gatehouse/acme/stored_challenges.h).
// Wraps the solver that answers locally.

#include <string>

#include "solvers/challenge_solver.h"
#include "storage/storage.h"

namespace gatehouse::acme {

class SharedChallengeSolver final : public ChallengeSolver {
 public:
  SharedChallengeSolver(ChallengeSolver& inner, Storage& storage, std::string issuerKey)
      : inner_(inner), storage_(storage), issuerKey_(std::move(issuerKey)) {}

  [[nodiscard]] std::string_view type() const override { return inner_.type(); }
  void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) override;
  void cleanUp(const ChallengeInfo& c, std::function<void()> done) override;

  // acme/<issuer>/challenge_tokens/<safe name>.json
  static std::string tokenKey(const std::string& issuerKey, const std::string& identifier);

 private:
  ChallengeSolver& inner_;
  Storage& storage_;
  std::string issuerKey_;
};

}  // namespace gatehouse::acme
