#pragma once
// The ACME server's state: nonces, accounts, orders, authorizations and certificates.
// Shared by every worker loop and the validation thread, so each call takes one mutex and
// hands out copies. Orders and authorizations live in memory only (a client whose order
// is lost to a restart places a new one); accounts are also persisted (account_records.h).
// Sizes are bounded: expired orders go, and at most kMaxNonces nonces are outstanding.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/server_model.h"

namespace gatehouse::acme::server {

class ServerStore {
 public:
  static constexpr size_t kMaxNonces = 10000;

  explicit ServerStore(std::vector<Account> accounts);

  std::string newNonce();
  // True once per nonce this store issued.
  bool useNonce(const std::string& nonce);

  std::optional<Account> account(const std::string& id) const;
  std::optional<Account> accountByThumbprint(const std::string& thumbprint) const;
  Account addAccount(Account account);  // assigns the id
  void replaceAccount(const Account& account);

  // Stores the order and its authorizations (ids assigned here); returns the order.
  Order addOrder(Order order, std::vector<Authorization> authorizations);
  // The order with its status brought up to date from its authorizations.
  std::optional<Order> order(const std::string& id);
  std::vector<std::string> orderIdsOf(const std::string& accountId) const;
  std::optional<Authorization> authorization(const std::string& id) const;

  // pending -> processing for a challenge of a pending authorization; the challenge as it
  // is now (unchanged when not pending), nullopt when unknown. `started` tells whether
  // this call moved it, so validation is queued once.
  std::optional<Challenge> startChallenge(const std::string& authzId, const std::string& challengeId,
                                          bool& started);
  // processing -> valid (error null) or invalid; the authorization follows.
  void finishChallenge(const std::string& authzId, const std::string& challengeId,
                       const nlohmann::json& error);

  // ready -> processing; false when the order is not ready.
  bool beginFinalize(const std::string& orderId);
  // processing -> valid with its certificate, or invalid with `error`.
  void finishFinalize(const std::string& orderId, std::optional<IssuedCertificate> cert,
                      const nlohmann::json& error);
  std::optional<IssuedCertificate> certificate(const std::string& id) const;

 private:
  void refreshOrder(Order& order) const;     // under mu_
  void pruneExpired(Clock::time_point now);  // under mu_

  mutable std::mutex mu_;
  std::map<std::string, Clock::time_point> nonces_;  // nonce -> issued
  std::map<std::string, Account> accounts_;
  std::map<std::string, Order> orders_;
  std::map<std::string, Authorization> authorizations_;
  std::map<std::string, IssuedCertificate> certificates_;
};

// 24 random bytes, base64url: ids and tokens (RFC 8555 section 8.1 asks 128 bits of entropy).
std::string randomId();

}  // namespace gatehouse::acme::server
