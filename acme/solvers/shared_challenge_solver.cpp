#include "solvers/shared_challenge_solver.h"

#include <nlohmann/json.hpp>

#include "gatehouse/acme/stored_challenges.h"

namespace gatehouse::acme {

std::string SharedChallengeSolver::tokenKey(const std::string& issuerKey, const std::string& identifier) {
  return StoredChallenges::key(issuerKey, identifier);
}

void SharedChallengeSolver::present(const ChallengeInfo& c,
                                    std::function<void(std::optional<std::string>)> done) {
  // The fields certmagic reads back (acme.Challenge's JSON names).
  const nlohmann::ordered_json info = {{"type", std::string(inner_.type())},
                                       {"token", c.token},
                                       {"keyAuthorization", c.keyAuthorization},
                                       {"identifier", {{"type", "dns"}, {"value", c.identifier}}}};
  try {
    storage_.store(tokenKey(issuerKey_, c.identifier), info.dump());
  } catch (const std::exception& e) {
    return done(std::string("storing the challenge for servers sharing the storage: ") + e.what());
  }
  inner_.present(c, std::move(done));
}

void SharedChallengeSolver::cleanUp(const ChallengeInfo& c, std::function<void()> done) {
  try {
    storage_.remove(tokenKey(issuerKey_, c.identifier));
  } catch (const std::exception&) {
    // Best effort, as the solver's own clean-up: a stale file names a token the CA no
    // longer asks for.
  }
  inner_.cleanUp(c, std::move(done));
}

}  // namespace gatehouse::acme
