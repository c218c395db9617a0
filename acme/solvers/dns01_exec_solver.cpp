#include "solvers/dns01_exec_solver.h"

#include "crypto/jwk.h"
#include "util/process_runner.h"

namespace gatehouse::acme {

namespace {
constexpr std::chrono::seconds kCommandLimit{300};
}

std::string Dns01ExecSolver::recordName(const std::string& identifier) {
  std::string name = identifier.rfind("*.", 0) == 0 ? identifier.substr(2) : identifier;
  return "_acme-challenge." + name + ".";
}

std::string Dns01ExecSolver::recordValue(const std::string& keyAuthorization) {
  return sha256Base64url(keyAuthorization);
}

void Dns01ExecSolver::present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) {
  auto argv = command_;
  argv.insert(argv.end(), {"present", recordName(c.identifier), recordValue(c.keyAuthorization)});
  runProcess(loop_, std::move(argv), {}, kCommandLimit, std::move(done));
}

void Dns01ExecSolver::cleanUp(const ChallengeInfo& c, std::function<void()> done) {
  auto argv = command_;
  argv.insert(argv.end(), {"cleanup", recordName(c.identifier), recordValue(c.keyAuthorization)});
  // Best effort: a record left behind does no harm beyond clutter.
  runProcess(loop_, std::move(argv), {}, kCommandLimit, [done](std::optional<std::string>) { done(); });
}

}  // namespace gatehouse::acme
