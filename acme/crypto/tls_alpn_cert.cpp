#include "crypto/tls_alpn_cert.h"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "crypto/jwk.h"
#include "crypto/private_key.h"

namespace gatehouse::acme {

namespace {
constexpr const char* kAcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

X509ExtPtr acmeIdentifierExtension(const std::string& keyAuthorization) {
  const std::string digest = sha256(keyAuthorization);
  Asn1OctetPtr inner(ASN1_OCTET_STRING_new());
  if (!inner || !ASN1_OCTET_STRING_set(inner.get(), reinterpret_cast<const unsigned char*>(digest.data()),
                                       static_cast<int>(digest.size()))) {
    throw std::runtime_error("acmeIdentifier value: " + opensslError());
  }
  // extnValue wraps the DER of the inner OCTET STRING.
  const int len = i2d_ASN1_OCTET_STRING(inner.get(), nullptr);
  std::string der(static_cast<size_t>(len > 0 ? len : 0), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (len <= 0 || i2d_ASN1_OCTET_STRING(inner.get(), &p) != len) {
    throw std::runtime_error("encoding acmeIdentifier: " + opensslError());
  }
  Asn1OctetPtr value(ASN1_OCTET_STRING_new());
  Asn1ObjectPtr oid(OBJ_txt2obj(kAcmeIdentifierOid, 1));
  if (!value || !oid ||
      !ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>(der.data()), len)) {
    throw std::runtime_error("acmeIdentifier extension: " + opensslError());
  }
  X509ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get()));
  if (!ext)
    throw std::runtime_error("acmeIdentifier extension: " + opensslError());
  return ext;
}

std::string pemOf(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}
}  // namespace

TlsAlpnCertificate buildTlsAlpnCertificate(const std::string& name, const std::string& keyAuthorization) {
  const PrivateKey key = PrivateKey::generate(KeyType::P256);
  X509Ptr cert(X509_new());
  unsigned char serial[16];
  BignumPtr bn(BN_new());
  if (!cert || !bn || RAND_bytes(serial, sizeof serial) != 1 || !BN_bin2bn(serial, sizeof serial, bn.get()) ||
      !X509_set_version(cert.get(), 2) || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600) ||
      !X509_set_pubkey(cert.get(), key.get())) {
    throw std::runtime_error("building the tls-alpn-01 certificate: " + opensslError());
  }
  GeneralNamesPtr gens(sk_GENERAL_NAME_new_null());
  GENERAL_NAME* gen = a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_DNS, name.c_str(), 0);
  if (gen == nullptr || !sk_GENERAL_NAME_push(gens.get(), gen)) {
    GENERAL_NAME_free(gen);
    throw std::runtime_error("tls-alpn-01 SAN: " + opensslError());
  }
  X509ExtPtr ident = acmeIdentifierExtension(keyAuthorization);
  if (!X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) ||
      !X509_add_ext(cert.get(), ident.get(), -1) || X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    throw std::runtime_error("signing the tls-alpn-01 certificate: " + opensslError());
  }
  return {pemOf(cert.get()), key.toPem()};
}

}  // namespace gatehouse::acme
