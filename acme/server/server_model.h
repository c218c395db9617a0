#pragma once
// The ACME server's objects (RFC 8555 section 7.1): accounts, orders, authorizations,
// challenges and issued certificates, as the state store keeps them. Plain values: the
// store hands out copies, so nothing here is shared between threads.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::acme::server {

using Clock = std::chrono::system_clock;

enum class Status { Pending, Processing, Ready, Valid, Invalid, Deactivated };
std::string_view statusName(Status s);

struct Identifier {
  std::string type;   // "dns" or "ip"
  std::string value;  // for a wildcard order, "*.example.com"
  bool operator==(const Identifier&) const = default;
};

struct Account {
  std::string id;
  nlohmann::json jwk;      // the public key, as the client sent it
  std::string thumbprint;  // RFC 7638, the key's identity
  nlohmann::json contact = nlohmann::json::array();
  Status status = Status::Valid;
  Clock::time_point created;
};

struct Challenge {
  std::string id;
  std::string type;  // "http-01", "dns-01", "tls-alpn-01"
  std::string token;
  Status status = Status::Pending;
  Clock::time_point validated;
  nlohmann::json error;  // a problem document once validation failed
};

struct Authorization {
  std::string id;
  std::string accountId;
  Identifier identifier;  // without the "*." of a wildcard
  bool wildcard = false;
  Status status = Status::Pending;
  Clock::time_point expires;
  std::vector<Challenge> challenges;
};

struct Order {
  std::string id;
  std::string accountId;
  Status status = Status::Pending;
  Clock::time_point expires;
  Clock::time_point notBefore;  // epoch: not asked for
  Clock::time_point notAfter;
  std::vector<Identifier> identifiers;
  std::vector<std::string> authorizationIds;
  std::string certificateId;
  nlohmann::json error;
};

struct IssuedCertificate {
  std::string id;
  std::string accountId;
  std::string pemChain;  // leaf first
};

// RFC 3339 in UTC, as Go's time.Time marshals (second precision).
std::string rfc3339(Clock::time_point t);

}  // namespace gatehouse::acme::server
