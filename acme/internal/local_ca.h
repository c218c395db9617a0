#pragma once
// The pki app's certificate authority (Caddy: modules/caddypki/ca.go): a root and an
// intermediate, kept in storage exactly where Caddy keeps them
// (pki/authorities/<id>/root.crt|root.key|intermediate.crt|intermediate.key), generated on
// first use and loaded afterwards, so a CA Caddy created (and a root users already trust)
// keeps being used.

#include <chrono>
#include <string>

#include "crypto/ossl_handles.h"
#include "crypto/private_key.h"
#include "storage/storage.h"

namespace gatehouse::acme::internal {

struct LocalCaOptions {
  std::string id = "local";
  std::string name = "Caddy Local Authority";
  std::string rootCommonName = "{pki.ca.name} - {time.now.year} ECC Root";
  std::string intermediateCommonName = "{pki.ca.name} - ECC Intermediate";
  std::chrono::seconds intermediateLifetime = std::chrono::hours(24 * 7);
};

// Caddy's defaultRootLifetime: 24h * 30 * 12 * 10.
inline constexpr std::chrono::hours kRootLifetime{24 * 30 * 12 * 10};

namespace ca_keys {
std::string prefix(const std::string& id);
std::string rootCert(const std::string& id);
std::string rootKey(const std::string& id);
std::string intermediateCert(const std::string& id);
std::string intermediateKey(const std::string& id);
}  // namespace ca_keys

class LocalCa {
 public:
  // Loads the CA from storage, generating whichever of root and intermediate is missing
  // (and an intermediate in the last fifth of its life). Throws std::runtime_error.
  static LocalCa loadOrCreate(Storage& storage, const LocalCaOptions& options,
                              std::chrono::system_clock::time_point now);

  [[nodiscard]] const X509* root() const { return root_.get(); }
  [[nodiscard]] const X509* intermediate() const { return inter_.get(); }
  [[nodiscard]] EVP_PKEY* intermediateKey() const { return interKey_.get(); }
  [[nodiscard]] const LocalCaOptions& options() const { return options_; }

 private:
  LocalCa(LocalCaOptions options, X509Ptr root, X509Ptr inter, PrivateKey interKey)
      : options_(std::move(options)),
        root_(std::move(root)),
        inter_(std::move(inter)),
        interKey_(std::move(interKey)) {}

  LocalCaOptions options_;
  X509Ptr root_;
  X509Ptr inter_;
  PrivateKey interKey_;
};

// Expands {pki.ca.name} and {time.now.year} as Caddy's replacer does for CA names.
std::string expandCaName(const std::string& pattern, const std::string& caName,
                         std::chrono::system_clock::time_point now);

}  // namespace gatehouse::acme::internal
