#include "crypto/private_key.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace gatehouse::acme {

std::optional<KeyType> parseKeyType(std::string_view name) {
  if (name == "p256")
    return KeyType::P256;
  if (name == "p384")
    return KeyType::P384;
  if (name == "rsa2048")
    return KeyType::Rsa2048;
  if (name == "rsa4096")
    return KeyType::Rsa4096;
  if (name == "ed25519")
    return KeyType::Ed25519;
  return std::nullopt;
}

std::string_view keyTypeName(KeyType type) {
  switch (type) {
    case KeyType::P256:
      return "p256";
    case KeyType::P384:
      return "p384";
    case KeyType::Rsa2048:
      return "rsa2048";
    case KeyType::Rsa4096:
      return "rsa4096";
    case KeyType::Ed25519:
      return "ed25519";
  }
  return "p256";
}

PrivateKey PrivateKey::generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::P256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::P384:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyType::Rsa2048:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyType::Rsa4096:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
    case KeyType::Ed25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) {
    throw std::runtime_error("generating a " + std::string(keyTypeName(type)) + " key: " + opensslError());
  }
  return PrivateKey(PkeyPtr(raw));
}

PrivateKey PrivateKey::fromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    throw std::runtime_error("not a PEM private key: " + opensslError());
  }
  return PrivateKey(std::move(key));
}

std::string PrivateKey::toPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // As certmagic's PEMEncodePrivateKey (what caddy stores): ECDSA as SEC1 ("EC PRIVATE KEY"),
  // RSA as PKCS#1 ("RSA PRIVATE KEY"), Ed25519 (which has no older form) as PKCS#8.
  const int id = EVP_PKEY_get_base_id(key_.get());
  const bool traditional = id == EVP_PKEY_EC || id == EVP_PKEY_RSA;
  const int ok =
      traditional
          ? PEM_write_bio_PrivateKey_traditional(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)
          : PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  if (ok == 0) {
    throw std::runtime_error("encoding a private key: " + opensslError());
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace gatehouse::acme
