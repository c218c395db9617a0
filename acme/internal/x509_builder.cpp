#include "internal/x509_builder.h"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <ctime>
#include <stdexcept>

#include "crypto/csr.h"

namespace gatehouse::acme::internal {

namespace {

using Clock = std::chrono::system_clock;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OsslDeleter<ASN1_TIME_free>>;
using Asn1IntPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER_free>>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("local CA: " + what + ": " + opensslError());
}

void check(int ok, const char* what) {
  if (ok != 1) {
    fail(what);
  }
}

// 128 random bits, positive, as smallstep's serial numbers.
void setRandomSerial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  check(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())), "serial");
  bytes[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn) {
    fail("serial");
  }
  Asn1IntPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial) {
    fail("serial");
  }
  check(X509_set_serialNumber(cert, serial.get()), "serial");
}

void setTime(X509* cert, Clock::time_point t, bool notAfter) {
  Asn1TimePtr asn(ASN1_TIME_set(nullptr, Clock::to_time_t(t)));
  if (!asn) {
    fail("validity");
  }
  check(notAfter ? X509_set1_notAfter(cert, asn.get()) : X509_set1_notBefore(cert, asn.get()), "validity");
}

void addExtension(X509* cert, const X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer), cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext) {
    fail(std::string("extension ") + OBJ_nid2sn(nid));
  }
  check(X509_add_ext(cert, ext.get(), -1), "add extension");
}

std::string sanValue(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (n.find_first_of(",\n") != std::string::npos) {
      throw std::runtime_error("local CA: invalid name in certificate request");
    }
    out += (out.empty() ? "" : ",") + std::string(isIpAddress(n) ? "IP:" : "DNS:") + n;
  }
  return out;
}

Clock::time_point toTimePoint(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    fail("certificate time");
  }
  return Clock::from_time_t(timegm(&tm));
}

}  // namespace

X509Ptr signCertificate(const CertRequest& req, EVP_PKEY* subjectKey, const X509* issuer,
                        EVP_PKEY* issuerKey) {
  X509Ptr cert(X509_new());
  if (!cert) {
    fail("allocate certificate");
  }
  check(X509_set_version(cert.get(), 2), "version");
  setRandomSerial(cert.get());
  setTime(cert.get(), req.notBefore, false);
  setTime(cert.get(), req.notAfter, true);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!req.commonName.empty()) {
    check(
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(req.commonName.c_str()), -1, -1, 0),
        "subject");
  }
  check(X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject),
        "issuer");
  check(X509_set_pubkey(cert.get(), subjectKey), "public key");
  const X509* signer = issuer != nullptr ? issuer : cert.get();
  switch (req.kind) {
    case CertKind::Root:
      addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
      addExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
      break;
    case CertKind::Intermediate:
      addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      addExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
      addExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
      break;
    case CertKind::Leaf:
      addExtension(cert.get(), signer, NID_key_usage,
                   EVP_PKEY_get_base_id(subjectKey) == EVP_PKEY_RSA
                       ? "critical,digitalSignature,keyEncipherment"
                       : "critical,digitalSignature");
      addExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
      addExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
      addExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
      if (req.names.empty()) {
        throw std::runtime_error("local CA: a leaf certificate needs at least one name");
      }
      // RFC 5280 section 4.2.1.6: with an empty subject the SAN is critical (smallstep does so).
      addExtension(cert.get(), signer, NID_subject_alt_name,
                   ((req.commonName.empty() ? "critical," : "") + sanValue(req.names)).c_str());
      break;
  }
  const bool noDigest = EVP_PKEY_get_base_id(issuerKey) == EVP_PKEY_ED25519;
  if (X509_sign(cert.get(), issuerKey, noDigest ? nullptr : EVP_sha256()) <= 0) {
    fail("sign");
  }
  return cert;
}

std::string certificateToPem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), const_cast<X509*>(cert)) != 1) {
    fail("encode certificate");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

X509Ptr certificateFromPem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    fail("not a PEM certificate");
  }
  return cert;
}

Clock::time_point notBeforeOf(const X509* cert) {
  return toTimePoint(X509_get0_notBefore(cert));
}
Clock::time_point notAfterOf(const X509* cert) {
  return toTimePoint(X509_get0_notAfter(cert));
}

bool caNeedsRenewal(const X509* cert, Clock::time_point now) {
  const auto nb = notBeforeOf(cert);
  const auto na = notAfterOf(cert);
  const auto window = (na - nb) / 5;
  return now > na - window;
}

}  // namespace gatehouse::acme::internal
