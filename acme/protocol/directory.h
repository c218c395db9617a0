#pragma once
// The ACME directory object (RFC 8555 section 7.1.1), plus ARI's renewalInfo (RFC 9773).

#include <optional>
#include <string>

namespace gatehouse::acme {

struct AcmeDirectory {
  std::string newNonce;
  std::string newAccount;
  std::string newOrder;
  std::string revokeCert;
  std::string keyChange;
  std::string renewalInfo;  // "" when the CA has no ARI
  std::string termsOfService;
  bool externalAccountRequired = false;
};

// Throws std::runtime_error naming the missing or malformed member.
AcmeDirectory parseDirectory(const std::string& body);

}  // namespace gatehouse::acme
