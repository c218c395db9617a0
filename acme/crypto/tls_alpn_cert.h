#pragma once
// The TLS-ALPN-01 challenge certificate (RFC 8737 section 3): self-signed, one DNS SAN (the
// name being validated) and a critical id-pe-acmeIdentifier extension holding the SHA-256
// of the key authorization as an ASN.1 OCTET STRING.

#include <string>

namespace gatehouse::acme {

struct TlsAlpnCertificate {
  std::string certPem;
  std::string keyPem;
};

// Throws std::runtime_error on failure.
TlsAlpnCertificate buildTlsAlpnCertificate(const std::string& name, const std::string& keyAuthorization);

}  // namespace gatehouse::acme
