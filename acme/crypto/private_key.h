#pragma once
// A private key (account or certificate key) with the operations ACME needs. The key types
// are Caddy's `key_type` values: p256 (default), p384, rsa2048, rsa4096, ed25519.

#include <optional>
#include <string>
#include <string_view>

#include "crypto/ossl_handles.h"

namespace gatehouse::acme {

enum class KeyType { P256, P384, Rsa2048, Rsa4096, Ed25519 };

std::optional<KeyType> parseKeyType(std::string_view name);
std::string_view keyTypeName(KeyType type);

class PrivateKey {
 public:
  // Throws std::runtime_error on an OpenSSL failure.
  static PrivateKey generate(KeyType type);
  // Reads PKCS#8, SEC1 ("EC PRIVATE KEY") or PKCS#1 PEM, as certmagic writes them.
  // Throws std::runtime_error naming what was wrong.
  static PrivateKey fromPem(std::string_view pem);

  // PEM as certmagic writes it: SEC1 for ECDSA, PKCS#1 for RSA, PKCS#8 for Ed25519.
  [[nodiscard]] std::string toPem() const;
  [[nodiscard]] EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(PkeyPtr key) : key_(std::move(key)) {}
  PkeyPtr key_;
};

}  // namespace gatehouse::acme
