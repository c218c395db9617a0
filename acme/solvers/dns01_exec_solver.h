#pragma once
// DNS-01 (RFC 8555 section 8.4) through an external program, like lego's `exec` provider:
// `<program> [args...] present|cleanup _acme-challenge.<name>. <value>` where value is
// base64url(SHA-256(key authorization)). The program must return once the TXT record is
// served by the zone's authoritative servers.

#include <uv.h>

#include <string>
#include <vector>

#include "solvers/challenge_solver.h"

namespace gatehouse::acme {

class Dns01ExecSolver final : public ChallengeSolver {
 public:
  Dns01ExecSolver(uv_loop_t* loop, std::vector<std::string> command)
      : loop_(loop), command_(std::move(command)) {}
  [[nodiscard]] std::string_view type() const override { return "dns-01"; }
  void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) override;
  void cleanUp(const ChallengeInfo& c, std::function<void()> done) override;

  static std::string recordName(const std::string& identifier);
  static std::string recordValue(const std::string& keyAuthorization);

 private:
  uv_loop_t* loop_;
  std::vector<std::string> command_;
};

}  // namespace gatehouse::acme
