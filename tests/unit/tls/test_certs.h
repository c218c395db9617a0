#pragma once
// Self-signed test certificates made in memory with the OpenSSL API (P-256, one day).

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/tls/certificate.h"

namespace gatehouse::tls::testing {

// The subject's CN is `commonName`, or the first DNS name when that is empty.
inline std::shared_ptr<const Certificate> selfSigned(const std::vector<std::string>& dnsNames,
                                                     std::vector<std::string> tags = {},
                                                     const std::string& commonName = "") {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  static long serial = 1;  // test-only; single-threaded
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>((commonName.empty() ? dnsNames.front() : commonName).c_str()),
      -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san;
  for (const auto& n : dnsNames) {
    san += (san.empty() ? "DNS:" : ",DNS:") + n;
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(cert.get(), ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return std::make_shared<const Certificate>(std::move(cert), std::move(key), nullptr, std::move(tags));
}

}  // namespace gatehouse::tls::testing
