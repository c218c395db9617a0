#include "crypto/certificate_info.h"

#include <openssl/pem.h>

#include <stdexcept>

#include "crypto/base64url.h"
#include "crypto/ossl_handles.h"

namespace gatehouse::acme {

namespace {
std::chrono::system_clock::time_point toTimePoint(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1)
    throw std::runtime_error("unreadable certificate time");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::vector<std::string> sanNames(X509* cert) {
  std::vector<std::string> out;
  GeneralNamesPtr gens(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens.get(), i);
    if (g->type == GEN_DNS) {
      const ASN1_STRING* s = g->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (g->type == GEN_IPADD) {
      BioPtr bio(BIO_new(BIO_s_mem()));
      char* data = nullptr;
      // i2v/ GENERAL_NAME_print renders "IP Address:1.2.3.4"; strip the label.
      GENERAL_NAME_print(bio.get(), const_cast<GENERAL_NAME*>(g));
      const long n = BIO_get_mem_data(bio.get(), &data);
      std::string text(data, static_cast<size_t>(n));
      const auto colon = text.find(':');
      out.push_back(colon == std::string::npos ? text : text.substr(colon + 1));
    }
  }
  return out;
}

std::string ariId(X509* cert) {
  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(cert);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  if (akid == nullptr || serial == nullptr)
    return {};
  // The serial's DER content octets (two's complement, so a leading 0x00 stays).
  const int len = i2d_ASN1_INTEGER(serial, nullptr);
  std::string der(static_cast<size_t>(len > 0 ? len : 0), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (len <= 2 || i2d_ASN1_INTEGER(serial, &p) != len)
    return {};
  // Skip tag and length (serials are at most 20 octets, so the length is one byte).
  const std::string content = der.substr(2);
  const std::string key(reinterpret_cast<const char*>(ASN1_STRING_get0_data(akid)),
                        static_cast<size_t>(ASN1_STRING_length(akid)));
  return base64url(key) + "." + base64url(content);
}
}  // namespace

CertificateInfo readCertificateInfo(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert)
    throw std::runtime_error("not a PEM certificate: " + opensslError());
  CertificateInfo info;
  info.names = sanNames(cert.get());
  info.notBefore = toTimePoint(X509_get0_notBefore(cert.get()));
  info.notAfter = toTimePoint(X509_get0_notAfter(cert.get()));
  info.ariCertId = ariId(cert.get());
  return info;
}

bool certificateMatchesKey(const std::string& certPem, const std::string& keyPem) {
  BioPtr certBio(BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size())));
  X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
  BioPtr keyBio(BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
  return cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
}

std::vector<std::string> splitPemCertificates(const std::string& pem) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = pem.find(kBegin, pos)) != std::string::npos) {
    const size_t end = pem.find(kEnd, pos);
    if (end == std::string::npos)
      break;
    out.push_back(pem.substr(pos, end + kEnd.size() - pos) + "\n");
    pos = end + kEnd.size();
  }
  return out;
}

}  // namespace gatehouse::acme
