#include "tls/tls_info.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace gatehouse::tls {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string nameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 order and escaping, one line, UTF-8: what Go's pkix.Name.String() prints.
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bioText(bio.get());
}

std::string serialText(const X509* cert) {
  struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
  };
  std::unique_ptr<BIGNUM, BnFree> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) {
    return {};
  }
  char* dec = BN_bn2dec(bn.get());
  std::string out = dec ? dec : "";
  OPENSSL_free(dec);
  return out;
}

void describeClient(X509* cert, runtime::TlsInfo& info) {
  info.hasClientCert = true;
  info.clientSubject = nameText(X509_get_subject_name(cert));
  info.clientIssuer = nameText(X509_get_issuer_name(cert));
  info.clientSerial = serialText(cert);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; ++i) {
    info.clientFingerprint += kHex[md[i] >> 4];
    info.clientFingerprint += kHex[md[i] & 15];
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  info.clientCertificatePem = bioText(bio.get());
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type == GEN_DNS) {
        info.clientDnsNames.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                                         static_cast<size_t>(ASN1_STRING_length(gn->d.dNSName)));
      }
    }
    GENERAL_NAMES_free(sans);
  }
}

}  // namespace

std::string protocolName(int version) {
  switch (version) {
    case TLS1_3_VERSION:
      return "tls1.3";
    case TLS1_2_VERSION:
      return "tls1.2";
    case TLS1_1_VERSION:
      return "tls1.1";
    case TLS1_VERSION:
      return "tls1.0";
    default:
      return {};
  }
}

std::shared_ptr<const runtime::TlsInfo> describeConnection(SSL* ssl, const std::string& serverName,
                                                           const std::string& alpn) {
  auto info = std::make_shared<runtime::TlsInfo>();
  info->version = protocolName(SSL_version(ssl));
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) {
    const char* iana = SSL_CIPHER_standard_name(c);
    info->cipherSuite = iana != nullptr ? iana : SSL_CIPHER_get_name(c);
  }
  info->proto = alpn;
  info->serverName = serverName;
  info->resumed = SSL_session_reused(ssl) == 1;
  if (X509* peer = SSL_get1_peer_certificate(ssl)) {
    describeClient(peer, *info);
    X509_free(peer);
  }
  return info;
}

}  // namespace gatehouse::tls
