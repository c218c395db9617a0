#include "server/server_store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "crypto/base64url.h"

namespace gatehouse::acme::server {

std::string randomId() {
  std::array<unsigned char, 24> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("acme server: no random bytes");
  }
  return base64url(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

ServerStore::ServerStore(std::vector<Account> accounts) {
  for (auto& a : accounts) {
    std::string id = a.id;
    accounts_.emplace(std::move(id), std::move(a));
  }
}

std::string ServerStore::newNonce() {
  std::string nonce = randomId();
  std::lock_guard lock(mu_);
  if (nonces_.size() >= kMaxNonces) {
    // Forget the oldest: its client gets badNonce and retries with the fresh one.
    auto oldest = std::min_element(nonces_.begin(), nonces_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    nonces_.erase(oldest);
  }
  nonces_.emplace(nonce, Clock::now());
  return nonce;
}

bool ServerStore::useNonce(const std::string& nonce) {
  std::lock_guard lock(mu_);
  return nonces_.erase(nonce) == 1;
}

std::optional<Account> ServerStore::account(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(id);
  return it == accounts_.end() ? std::nullopt : std::optional<Account>(it->second);
}

std::optional<Account> ServerStore::accountByThumbprint(const std::string& thumbprint) const {
  std::lock_guard lock(mu_);
  for (const auto& [_, a] : accounts_) {
    if (a.thumbprint == thumbprint) {
      return a;
    }
  }
  return std::nullopt;
}

Account ServerStore::addAccount(Account account) {
  account.id = randomId();
  std::lock_guard lock(mu_);
  accounts_[account.id] = account;
  return account;
}

void ServerStore::replaceAccount(const Account& account) {
  std::lock_guard lock(mu_);
  accounts_[account.id] = account;
}

void ServerStore::pruneExpired(Clock::time_point now) {
  for (auto it = orders_.begin(); it != orders_.end();) {
    if (it->second.expires < now) {
      for (const auto& authz : it->second.authorizationIds) {
        authorizations_.erase(authz);
      }
      certificates_.erase(it->second.certificateId);
      it = orders_.erase(it);
    } else {
      ++it;
    }
  }
}

Order ServerStore::addOrder(Order order, std::vector<Authorization> authorizations) {
  order.id = randomId();
  for (auto& a : authorizations) {
    a.id = randomId();
    for (auto& c : a.challenges) {
      c.id = randomId();
    }
    order.authorizationIds.push_back(a.id);
  }
  std::lock_guard lock(mu_);
  pruneExpired(Clock::now());
  for (auto& a : authorizations) {
    std::string id = a.id;
    authorizations_.emplace(std::move(id), std::move(a));
  }
  orders_[order.id] = order;
  return order;
}

void ServerStore::refreshOrder(Order& order) const {
  if (order.status != Status::Pending) {
    return;
  }
  bool allValid = true;
  for (const auto& id : order.authorizationIds) {
    auto it = authorizations_.find(id);
    const Status s = it == authorizations_.end() ? Status::Invalid : it->second.status;
    if (s == Status::Invalid || s == Status::Deactivated) {
      order.status = Status::Invalid;
      order.error = {{"type", "urn:ietf:params:acme:error:unauthorized"},
                     {"detail", "an authorization of this order failed"},
                     {"status", 403}};
      return;
    }
    allValid = allValid && s == Status::Valid;
  }
  if (allValid) {
    order.status = Status::Ready;
  }
}

std::optional<Order> ServerStore::order(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = orders_.find(id);
  if (it == orders_.end()) {
    return std::nullopt;
  }
  refreshOrder(it->second);
  return it->second;
}

std::vector<std::string> ServerStore::orderIdsOf(const std::string& accountId) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, o] : orders_) {
    if (o.accountId == accountId) {
      out.push_back(id);
    }
  }
  return out;
}

std::optional<Authorization> ServerStore::authorization(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = authorizations_.find(id);
  return it == authorizations_.end() ? std::nullopt : std::optional<Authorization>(it->second);
}

std::optional<Challenge> ServerStore::startChallenge(const std::string& authzId,
                                                     const std::string& challengeId, bool& started) {
  started = false;
  std::lock_guard lock(mu_);
  auto it = authorizations_.find(authzId);
  if (it == authorizations_.end()) {
    return std::nullopt;
  }
  for (auto& c : it->second.challenges) {
    if (c.id == challengeId) {
      if (c.status == Status::Pending && it->second.status == Status::Pending) {
        c.status = Status::Processing;
        started = true;
      }
      return c;
    }
  }
  return std::nullopt;
}

void ServerStore::finishChallenge(const std::string& authzId, const std::string& challengeId,
                                  const nlohmann::json& error) {
  std::lock_guard lock(mu_);
  auto it = authorizations_.find(authzId);
  if (it == authorizations_.end()) {
    return;
  }
  for (auto& c : it->second.challenges) {
    if (c.id != challengeId || c.status != Status::Processing) {
      continue;
    }
    if (error.is_null()) {
      c.status = Status::Valid;
      c.validated = Clock::now();
      it->second.status = Status::Valid;
    } else {
      c.status = Status::Invalid;
      c.error = error;
      it->second.status = Status::Invalid;
    }
  }
}

bool ServerStore::beginFinalize(const std::string& orderId) {
  std::lock_guard lock(mu_);
  auto it = orders_.find(orderId);
  if (it == orders_.end()) {
    return false;
  }
  refreshOrder(it->second);
  if (it->second.status != Status::Ready) {
    return false;
  }
  it->second.status = Status::Processing;
  return true;
}

void ServerStore::finishFinalize(const std::string& orderId, std::optional<IssuedCertificate> cert,
                                 const nlohmann::json& error) {
  std::lock_guard lock(mu_);
  auto it = orders_.find(orderId);
  if (it == orders_.end()) {
    return;
  }
  if (cert) {
    it->second.status = Status::Valid;
    it->second.certificateId = cert->id;
    std::string id = cert->id;
    certificates_[id] = std::move(*cert);
  } else {
    it->second.status = Status::Invalid;
    it->second.error = error;
  }
}

std::optional<IssuedCertificate> ServerStore::certificate(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = certificates_.find(id);
  return it == certificates_.end() ? std::nullopt : std::optional<IssuedCertificate>(it->second);
}

}  // namespace gatehouse::acme::server
