#pragma once
// The pki app's certificate authority (Caddy: modules/caddypki/ca.go): a root and an
// intermediate, kept in storage exactly where Caddy keeps them
// (pki/authorities/<id>/root.crt|root.key|intermediate.crt|intermediate.key), generated on
// first use and loaded afterwards, so a CA Caddy created (and a root users already trust)
// keeps being used.

#include <chrono>
#include <optional>
#include <string>

#include "crypto/ossl_handles.h"
#include "crypto/private_key.h"
#include "storage/storage.h"

namespace gatehouse::acme::internal {

// A root or intermediate the user supplies (pki `root { cert key format }`): PEM files,
// the only format Caddy 2.6.2 reads ("pem_file"). Such a pair is read from its files and
// never written to storage, as Caddy does.
struct KeyPairFiles {
  std::string certificate;
  std::string privateKey;
};

// Reads a user-supplied pair as the CA does (its key must sign for its certificate); throws
// std::runtime_error. Caddy's pki app loads such files when it starts, so a missing or broken
// one stops `validate` and start-up even for a CA nothing issues from yet.
void checkPairFiles(const KeyPairFiles& files, const std::string& which);

struct LocalCaOptions {
  std::string id = "local";
  std::string name = "Caddy Local Authority";
  std::string rootCommonName = "{pki.ca.name} - {time.now.year} ECC Root";
  std::string intermediateCommonName = "{pki.ca.name} - ECC Intermediate";
  std::chrono::seconds intermediateLifetime = std::chrono::hours(24 * 7);
  std::optional<KeyPairFiles> root;
  std::optional<KeyPairFiles> intermediate;
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
  // sign_with_root (acme_server, internal issuer) signs leaves with the root itself.
  [[nodiscard]] EVP_PKEY* rootKey() const { return rootKey_.get(); }
  [[nodiscard]] const LocalCaOptions& options() const { return options_; }

 private:
  LocalCa(LocalCaOptions options, X509Ptr root, PrivateKey rootKey, X509Ptr inter, PrivateKey interKey)
      : options_(std::move(options)),
        root_(std::move(root)),
        rootKey_(std::move(rootKey)),
        inter_(std::move(inter)),
        interKey_(std::move(interKey)) {}

  LocalCaOptions options_;
  X509Ptr root_;
  PrivateKey rootKey_;
  X509Ptr inter_;
  PrivateKey interKey_;
};

// Expands {pki.ca.name} and {time.now.year} as Caddy's replacer does for CA names.
std::string expandCaName(const std::string& pattern, const std::string& caName,
                         std::chrono::system_clock::time_point now);

}  // namespace gatehouse::acme::internal
