#pragma once
// DNS-01 (RFC 8555 section 8.4) through a DNS provider, with certmagic's steps: the TXT
// record goes to _acme-challenge.<name> (or dns_challenge_override_domain) in the zone an
// SOA lookup finds, then we wait propagation_delay and poll the zone's authoritative
// servers until they serve the value (up to propagation_timeout, default 2 minutes; -1
// skips the check) before telling the CA to look. Lookups and ldns work run on worker
// threads; everything else on the owner's loop.

#include <uv.h>

#include <chrono>
#include <map>
#include <memory>

#include "dns/dns_challenge_settings.h"
#include "dns/dns_provider.h"
#include "log/acme_log.h"
#include "solvers/challenge_solver.h"

namespace gatehouse::acme {

class Dns01Solver final : public ChallengeSolver {
 public:
  // Throws std::invalid_argument when the provider config is unusable.
  Dns01Solver(uv_loop_t* loop, dns::DnsChallengeSettings settings, const AcmeLog& log);
  ~Dns01Solver() override;
  [[nodiscard]] std::string_view type() const override { return "dns-01"; }
  void present(const ChallengeInfo& c, std::function<void(std::optional<std::string>)> done) override;
  void cleanUp(const ChallengeInfo& c, std::function<void()> done) override;
  // Ends waits in progress (their `done` gets an error) and cancels provider calls.
  void shutdown();

  // "_acme-challenge.example.com." for "example.com" and "*.example.com".
  static std::string recordName(const std::string& identifier);

 private:
  using Done = std::function<void(std::optional<std::string>)>;
  using Clock = std::chrono::steady_clock;
  void withZone(dns::TxtRecord record, std::function<void(std::optional<std::string>, dns::TxtRecord)> next);
  void waitDelay(const dns::TxtRecord& record, Clock::time_point until, Done done);
  void checkPropagation(const dns::TxtRecord& record, Clock::time_point deadline, int attempt, Done done);
  [[nodiscard]] bool propagationCheckEnabled() const;
  [[nodiscard]] std::vector<dns::NameServer> resolvers() const;

  uv_loop_t* loop_;
  dns::DnsChallengeSettings settings_;
  const AcmeLog& log_;
  std::unique_ptr<dns::DnsProvider> provider_;
  std::map<std::string, dns::TxtRecord> presented_;  // key authorization -> its record
  std::shared_ptr<bool> stopping_ = std::make_shared<bool>(false);
};

}  // namespace gatehouse::acme
