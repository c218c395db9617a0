#pragma once
// One certificate issuance (RFC 8555 section 7.4): newOrder for all identifiers, each
// authorization answered through a ChallengeSolver and polled, finalize with a fresh key's
// CSR, order polled until valid, certificate chain downloaded (an `alternate` chain chosen
// when preferred_chains asks). Polls honour Retry-After and are bounded in count and time.
// A challenge type that fails (its solver cannot present, or the CA could not reach or
// verify the answer) is not tried again for that identifier: the authorization goes on with
// the next type, or, once the CA has marked it invalid, a new order does (a second later, at
// most kMaxOrderAttempts orders), as certmagic's client does, so a blocked port 80 costs a
// second rather than a backoff period.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/private_key.h"
#include "log/acme_log.h"
#include "protocol/acme_client.h"
#include "solvers/challenge_solver.h"

namespace gatehouse::acme {

struct PreferredChains {
  bool smallest = false;
  std::vector<std::string> rootCommonNames;
  std::vector<std::string> anyCommonNames;
  [[nodiscard]] bool any() const { return smallest || !rootCommonNames.empty() || !anyCommonNames.empty(); }
};

struct OrderSettings {
  std::vector<std::string> names;
  KeyType keyType = KeyType::P256;
  std::vector<std::string> challengePreference = {"http-01", "tls-alpn-01", "dns-01"};
  PreferredChains preferredChains;
  std::string replaces;  // ARI CertID of the certificate this order renews ("" = none)
  std::string profile;   // ACME profile (e.g. "shortlived"); "" = the CA's default
  std::chrono::seconds pollTimeout{120};
  int maxPolls = 200;
};

struct IssuedCertificate {
  std::string chainPem;  // leaf first
  std::string keyPem;
  std::string url;  // where the CA serves it
  std::vector<std::string> names;
};

class AcmeOrder : public std::enable_shared_from_this<AcmeOrder> {
 public:
  using Done = std::function<void(std::optional<AcmeError>, IssuedCertificate)>;

  AcmeOrder(std::shared_ptr<AcmeClient> client, std::map<std::string, ChallengeSolver*> solvers,
            OrderSettings settings, const AcmeLog& log);
  // The client must already have an account (ensureAccount).
  void run(Done done);

  static constexpr int kMaxOrderAttempts = 3;

 private:
  void placeOrder();
  void restart();
  void nextAuthorization();
  void fetchAuthorization();
  void answer(const nlohmann::json& authz);
  void challengeFailed(AcmeError err);
  [[nodiscard]] bool untriedTypeLeft(const nlohmann::json& authz, const std::string& identifier) const;
  void pollAuthorization(std::chrono::steady_clock::time_point deadline, int polls);
  void finalize();
  void pollOrder(std::chrono::steady_clock::time_point deadline, int polls);
  void download(const std::string& url);
  void chooseChain(std::vector<std::string> chains, std::vector<std::string> alternates);
  void fail(AcmeError err);
  void cleanUpChallenge(std::function<void()> then);
  [[nodiscard]] nlohmann::json ids() const;
  [[nodiscard]] std::chrono::milliseconds pollDelay(const AcmeResponse& r, int polls) const;

  std::shared_ptr<AcmeClient> client_;
  std::map<std::string, ChallengeSolver*> solvers_;
  OrderSettings settings_;
  const AcmeLog& log_;
  Done done_;

  std::string orderUrl_;
  std::string finalizeUrl_;
  std::vector<std::string> authzUrls_;
  size_t authzIndex_ = 0;
  ChallengeSolver* activeSolver_ = nullptr;
  ChallengeInfo activeChallenge_;
  std::string activeType_;
  nlohmann::json activeAuthz_;  // the authorization being answered, for its other challenges
  std::map<std::string, std::set<std::string>> failedTypes_;  // by identifier, across orders
  int attempt_ = 1;
  std::string keyPem_;
  std::string certUrl_;
};

}  // namespace gatehouse::acme
