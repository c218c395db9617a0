#pragma once
// Facts read from a PEM certificate chain: the leaf's names and validity (for renewal
// decisions) and its ARI CertID (RFC 9773 section 4.1).

#include <chrono>
#include <string>
#include <vector>

namespace gatehouse::acme {

struct CertificateInfo {
  std::vector<std::string> names;  // DNS and IP SANs of the leaf
  std::chrono::system_clock::time_point notBefore;
  std::chrono::system_clock::time_point notAfter;
  std::string ariCertId;  // base64url(AKI keyIdentifier) "." base64url(serial); "" without AKI
};

// Parses the first certificate of a PEM bundle. Throws std::runtime_error when it is not one.
CertificateInfo readCertificateInfo(const std::string& pem);

// True when the first certificate of `certPem` carries the public half of `keyPem`.
bool certificateMatchesKey(const std::string& certPem, const std::string& keyPem);

// The PEM blocks of a bundle in order (leaf first, as ACME delivers them).
std::vector<std::string> splitPemCertificates(const std::string& pem);

}  // namespace gatehouse::acme
