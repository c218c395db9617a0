#pragma once
// What an issuer does for the certificate manager: a chain for some names and a key. The
// internal issuer implements it; the ACME issuer can too, so both plug into the same
// provisioning and renewal code.

#include <string>
#include <vector>

#include "crypto/private_key.h"

namespace gatehouse::acme {

class CertificateIssuer {
 public:
  virtual ~CertificateIssuer() = default;
  // certmagic's IssuerKey: the storage directory under certificates/ ("local" for the
  // internal issuer of the local CA).
  [[nodiscard]] virtual std::string issuerKey() const = 0;
  // PEM chain, leaf first, for `names` (DNS names and IP literals) and `key`'s public half.
  // Throws std::runtime_error.
  virtual std::string issue(const std::vector<std::string>& names, const PrivateKey& key) = 0;
};

}  // namespace gatehouse::acme
