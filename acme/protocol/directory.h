#pragma once
// The ACME directory object (RFC 8555 section 7.1.1), plus ARI's renewalInfo (RFC 9773).

#include <map>
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
  // meta.profiles (draft-aaron-acme-profiles): profile name -> human-readable description;
  // empty when the CA offers none.
  std::map<std::string, std::string> profiles;
};

// Throws std::runtime_error naming the missing or malformed member.
AcmeDirectory parseDirectory(const std::string& body);

// "" when an order may ask for `profile` at this CA; else why not, naming the profiles the
// CA offers (an order for a profile the CA does not list would only fail later, or worse,
// be silently served with the CA's default profile).
std::string profileProblem(const AcmeDirectory& directory, const std::string& profile);

}  // namespace gatehouse::acme
