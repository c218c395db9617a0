#pragma once
// Certificates of a name across an issuer list (Caddy's `issuers` / repeated `cert_issuer`):
// each issuer keeps its certificates under its own storage key, so the one to serve is
// the newest valid one any issuer in the list holds (as certmagic loads "from any issuer"),
// and an issued one is stored under the issuer that issued it.

#include <optional>
#include <string>
#include <vector>

#include "crypto/certificate_info.h"
#include "protocol/acme_order.h"
#include "storage/file_storage.h"

namespace gatehouse::acme {

struct StoredCertificate {
  size_t position = 0;  // index into the issuer-key list it was found under
  std::string chainPem;
  std::string keyPem;
  CertificateInfo info;
};

// The newest (latest notBefore) certificate for `name` that names it and has not expired,
// among `issuerKeys`; nullopt when none. Throws std::runtime_error on unreadable storage
// or a certificate that does not parse.
std::optional<StoredCertificate> loadNewestStored(FileStorage& storage,
                                                  const std::vector<std::string>& issuerKeys,
                                                  const std::string& name);

// Stores an issued certificate as certmagic does: the key first (a certificate in storage
// must always find its key), then the chain, then the metadata naming the CA. Throws.
void storeIssued(FileStorage& storage, const std::string& issuerKey, const std::string& name,
                 const std::vector<std::string>& sans, const IssuedCertificate& cert, const std::string& ca);

}  // namespace gatehouse::acme
