#include "crypto/csr.h"

#include <arpa/inet.h>

#include <stdexcept>

namespace gatehouse::acme {

bool isIpAddress(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

namespace {
GeneralNamesPtr sanList(const std::vector<std::string>& names) {
  GeneralNamesPtr gens(sk_GENERAL_NAME_new_null());
  for (const auto& name : names) {
    GENERAL_NAME* gen = isIpAddress(name)
                            ? a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_IPADD, name.c_str(), 0)
                            : a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_DNS, name.c_str(), 0);
    if (gen == nullptr || !sk_GENERAL_NAME_push(gens.get(), gen)) {
      GENERAL_NAME_free(gen);
      throw std::runtime_error("adding SAN " + name + ": " + opensslError());
    }
  }
  return gens;
}
}  // namespace

std::string buildCsrDer(const PrivateKey& key, const std::vector<std::string>& names) {
  if (names.empty())
    throw std::runtime_error("a CSR needs at least one name");
  X509ReqPtr req(X509_REQ_new());
  if (!req || !X509_REQ_set_version(req.get(), 0) || !X509_REQ_set_pubkey(req.get(), key.get())) {
    throw std::runtime_error("building a CSR: " + opensslError());
  }
  GeneralNamesPtr gens = sanList(names);
  X509ExtPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, gens.get()));
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  const bool added = ext && exts != nullptr && sk_X509_EXTENSION_push(exts, ext.get()) &&
                     X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_free(exts);  // frees the stack only; `ext` stays owned by its handle
  if (!added)
    throw std::runtime_error("adding the SAN extension: " + opensslError());
  // Ed25519 signs without a separate digest.
  const EVP_MD* md = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_REQ_sign(req.get(), key.get(), md) <= 0) {
    throw std::runtime_error("signing the CSR: " + opensslError());
  }
  const int len = i2d_X509_REQ(req.get(), nullptr);
  std::string der(static_cast<size_t>(len > 0 ? len : 0), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (len <= 0 || i2d_X509_REQ(req.get(), &p) != len) {
    throw std::runtime_error("encoding the CSR: " + opensslError());
  }
  return der;
}

}  // namespace gatehouse::acme
