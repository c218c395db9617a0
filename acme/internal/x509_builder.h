#pragma once
// Signs X.509 certificates for the local CA: self-signed roots, intermediates and leaves,
// with the extensions smallstep's default templates (which Caddy uses) put in them.

#include <chrono>
#include <string>
#include <vector>

#include "crypto/ossl_handles.h"
#include "crypto/private_key.h"

namespace gatehouse::acme::internal {

enum class CertKind { Root, Intermediate, Leaf };

struct CertRequest {
  CertKind kind = CertKind::Leaf;
  std::string commonName;          // subject CN ("" leaves the subject empty)
  std::vector<std::string> names;  // leaf SANs: DNS names and IP literals
  std::chrono::system_clock::time_point notBefore;
  std::chrono::system_clock::time_point notAfter;
};

// Signs `subjectKey`'s public half with `issuerKey`; `issuer` is null for a self-signed
// root. Throws std::runtime_error on an OpenSSL failure.
X509Ptr signCertificate(const CertRequest& req, EVP_PKEY* subjectKey, const X509* issuer,
                        EVP_PKEY* issuerKey);

std::string certificateToPem(const X509* cert);
// Parses the first certificate of a PEM bundle. Throws std::runtime_error.
X509Ptr certificateFromPem(const std::string& pem);

std::chrono::system_clock::time_point notBeforeOf(const X509* cert);
std::chrono::system_clock::time_point notAfterOf(const X509* cert);

// Caddy's needsRenewal for CA certificates (modules/caddypki/maintain.go): the last
// fifth of the lifetime.
bool caNeedsRenewal(const X509* cert, std::chrono::system_clock::time_point now);

}  // namespace gatehouse::acme::internal
