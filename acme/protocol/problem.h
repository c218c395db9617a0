#pragma once
// ACME problem documents (RFC 8555 section 6.7, RFC 7807) and the error type of the client.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace gatehouse::acme {

struct Problem {
  std::string type;  // "urn:ietf:params:acme:error:badNonce"
  std::string detail;
  int status = 0;
  nlohmann::json raw;  // the whole document, subproblems included, for logs

  // Compares the part after "urn:ietf:params:acme:error:".
  [[nodiscard]] bool is(std::string_view acmeType) const;
  [[nodiscard]] std::string describe() const;
};

// nullopt when `body` is not a JSON object with at least a type or detail.
std::optional<Problem> parseProblem(const std::string& body, long httpStatus);

struct AcmeError {
  std::string message;                 // what we were doing and what went wrong
  std::optional<Problem> problem;      // when the CA sent one
  std::chrono::seconds retryAfter{0};  // the CA's Retry-After, if any

  [[nodiscard]] nlohmann::json toJson() const;
};

}  // namespace gatehouse::acme
