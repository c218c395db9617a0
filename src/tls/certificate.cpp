#include "gatehouse/tls/certificate.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gatehouse::tls {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string ipText(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip->length == 4 && inet_ntop(AF_INET, ip->data, buf, sizeof(buf)) != nullptr) {
    return buf;
  }
  if (ip->length == 16 && inet_ntop(AF_INET6, ip->data, buf, sizeof(buf)) != nullptr) {
    return buf;
  }
  return {};
}

// The names a certificate answers for, as certmagic lists them (fillCertFromLeaf): the
// subject's common name first, whether or not SANs exist, then the DNS and IP SANs not
// equal to it. So a loaded certificate is served for its CN even when its SANs leave it
// out (caddy 2.6.2 does; tests/compat/tls_fuzz.py compares it).
std::vector<std::string> namesOf(X509* leaf) {
  std::vector<std::string> out;
  char buf[256] = {};
  std::string cn;
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, buf, sizeof(buf)) > 0) {
    cn = buf;
    out.push_back(lower(cn));
  }
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  const int count = sans ? sk_GENERAL_NAME_num(sans.get()) : 0;
  for (int type : {GEN_DNS, GEN_IPADD}) {  // certmagic: every DNS name, then every IP
    for (int i = 0; i < count; ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
      if (gn->type != type) {
        continue;
      }
      std::string name;
      if (type == GEN_DNS) {
        const auto* s = gn->d.dNSName;
        name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                    static_cast<size_t>(ASN1_STRING_length(s)));
      } else {
        name = ipText(gn->d.iPAddress);
      }
      if (!name.empty() && name != cn) {
        out.push_back(lower(std::move(name)));
      }
    }
  }
  return out;
}

std::chrono::system_clock::time_point notAfterOf(X509* leaf) {
  tm t{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &t) != 1) {
    return {};
  }
  return std::chrono::system_clock::from_time_t(timegm(&t));
}

std::string fingerprintOf(X509* leaf) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(leaf, EVP_sha256(), md, &n);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string readFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::invalid_argument(std::string("cannot read ") + what + " file '" + path + "'");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Certificate::Certificate(X509Ptr leaf, EvpPkeyPtr key, X509StackPtr chain, std::vector<std::string> tags)
    : leaf_(std::move(leaf)), key_(std::move(key)), chain_(std::move(chain)), tags_(std::move(tags)) {
  if (!leaf_ || !key_) {
    throw std::invalid_argument("a certificate needs a leaf and a private key");
  }
  if (X509_check_private_key(leaf_.get(), key_.get()) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("the private key does not match the certificate");
  }
  if (!chain_) {
    chain_.reset(sk_X509_new_null());
  }
  names_ = namesOf(leaf_.get());
  notAfter_ = notAfterOf(leaf_.get());
  fingerprint_ = fingerprintOf(leaf_.get());
}

bool Certificate::hasTag(const std::string& tag) const {
  return std::find(tags_.begin(), tags_.end(), tag) != tags_.end();
}

bool Certificate::useOn(SSL* ssl) const {
  // Chain is copied (up-ref'd) into the SSL, so the shared objects are never modified.
  if (SSL_use_cert_and_key(ssl, leaf_.get(), key_.get(), chain_.get(), 1) != 1) {
    return false;
  }
  if (!ocspStaple_.empty()) {
    // The SSL owns (and frees) its copy. A failed allocation only means no staple.
    auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(ocspStaple_.data(), ocspStaple_.size()));
    if (copy != nullptr &&
        SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(ocspStaple_.size())) != 1) {
      OPENSSL_free(copy);
    }
  }
  return true;
}

std::shared_ptr<const Certificate> Certificate::withOcspStaple(std::string der) const {
  X509_up_ref(leaf_.get());
  EVP_PKEY_up_ref(key_.get());
  X509StackPtr chain(X509_chain_up_ref(chain_.get()));
  auto out =
      std::make_shared<Certificate>(X509Ptr(leaf_.get()), EvpPkeyPtr(key_.get()), std::move(chain), tags_);
  out->ocspStaple_ = std::move(der);
  return out;
}

std::shared_ptr<const Certificate> loadCertificatePem(const std::string& certPem, const std::string& keyPem,
                                                      std::vector<std::string> tags) {
  BioPtr certBio(BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size())));
  X509Ptr leaf(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    ERR_clear_error();
    throw std::invalid_argument("no PEM certificate found");
  }
  X509StackPtr chain(sk_X509_new_null());
  while (X509* extra = PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(chain.get(), extra);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BioPtr keyBio(BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    throw std::invalid_argument("no PEM private key found");
  }
  return std::make_shared<const Certificate>(std::move(leaf), std::move(key), std::move(chain),
                                             std::move(tags));
}

std::shared_ptr<const Certificate> loadCertificateFiles(const std::string& certFile,
                                                        const std::string& keyFile,
                                                        std::vector<std::string> tags) {
  const std::string cert = readFile(certFile, "certificate");
  const std::string key = readFile(keyFile, "key");
  try {
    return loadCertificatePem(cert, key, std::move(tags));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(certFile + " / " + keyFile + ": " + e.what());
  }
}

}  // namespace gatehouse::tls
