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

struct StoredLookup {
  // An expired certificate when no issuer holds a valid one (caddy 2.6.2 serves it at start
  // while it renews it at once).
  bool acceptExpired = false;
  // A key that is not its certificate's, with the matching half staged beside it (a save
  // killed between its renames): the save is completed. Only under the name's issuance
  // lock, so never while a live writer is between its own renames.
  bool completeInterrupted = false;
};

struct StoredCertificate {
  size_t position = 0;  // index into the issuer-key list it was found under
  std::string chainPem;
  std::string keyPem;
  CertificateInfo info;
  std::string recovered;  // the file an interrupted save left staged, now renamed into place
};

// The newest (latest notBefore) certificate for `name` that names it and has not expired,
// among `issuerKeys`, whose key matches it; nullopt when none. A damaged file (unreadable,
// not a certificate, a key that is not the certificate's) is described, naming its storage
// key, in `problems` and that issuer skipped; without `problems` it throws
// std::runtime_error.
std::optional<StoredCertificate> loadNewestStored(FileStorage& storage,
                                                  const std::vector<std::string>& issuerKeys,
                                                  const std::string& name,
                                                  std::vector<std::string>* problems = nullptr,
                                                  StoredLookup how = {});

// Stores an issued certificate in certmagic's three files (key, chain, metadata naming the
// CA), all written before any is replaced: a failure (a full disk) keeps the previous
// certificate and key, which still match, instead of a new key beside the old chain. Throws.
void storeIssued(FileStorage& storage, const std::string& issuerKey, const std::string& name,
                 const std::vector<std::string>& sans, const IssuedCertificate& cert, const std::string& ca);

}  // namespace gatehouse::acme
