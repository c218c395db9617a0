#pragma once
// A way of proving control of an identifier for one ACME challenge type.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::acme {

struct ChallengeInfo {
  std::string identifier;  // the name being validated (without "*.")
  std::string token;
  std::string keyAuthorization;
};

class ChallengeSolver {
 public:
  virtual ~ChallengeSolver() = default;
  [[nodiscard]] virtual std::string_view type() const = 0;  // "http-01", "tls-alpn-01", "dns-01"
  // Makes the answer available; `done` gets an error message on failure. May complete
  // synchronously or later on the loop.
  virtual void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) = 0;
  // Removes the answer (best effort), then calls `done`: the next challenge may reuse the
  // same place (two DNS-01 records for "a.test" and "*.a.test"), so it must wait.
  virtual void cleanUp(const ChallengeInfo& c, std::function<void()> done) = 0;
};

}  // namespace gatehouse::acme
