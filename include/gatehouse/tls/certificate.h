#pragma once
// A server certificate: leaf + chain + private key, with the names it covers. Immutable
// once built and shared (shared_ptr<const Certificate>) by every handshake that uses it,
// on any thread. The OpenSSL objects are reference counted; nothing here mutates them.

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace gatehouse::tls {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

class Certificate {
 public:
  // Takes the leaf, its key (checked to match) and the intermediates. Throws
  // std::invalid_argument when the key does not belong to the leaf. `tags` are Caddy's
  // certificate tags (load_files[].tags), used by certificate_selection.any_tag.
  Certificate(X509Ptr leaf, EvpPkeyPtr key, X509StackPtr chain, std::vector<std::string> tags = {});

  // The subject's CN, then the DNS names and IP addresses of the SAN extension, lower-cased
  // (certmagic's Names); what SNI lookups index by.
  [[nodiscard]] const std::vector<std::string>& names() const { return names_; }
  [[nodiscard]] const std::vector<std::string>& tags() const { return tags_; }
  // For inspection (the handshake's certificate choice); owned by this object.
  [[nodiscard]] X509* leaf() const { return leaf_.get(); }
  [[nodiscard]] EVP_PKEY* key() const { return key_.get(); }
  [[nodiscard]] bool hasTag(const std::string& tag) const;
  [[nodiscard]] std::chrono::system_clock::time_point notAfter() const { return notAfter_; }
  // Hex SHA-256 of the leaf's DER: identifies a certificate in logs and replacements.
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }

  // Installs leaf, key and chain on a handshake in progress, and the OCSP staple when there
  // is one (sent only if the client asks; see ServerTls's status callback). Thread-safe.
  bool useOn(SSL* ssl) const;

  // A DER OCSP response to staple ("" = none). The certificate manager fetches it and swaps
  // in a copy that carries it (withOcspStaple), so this object stays immutable.
  [[nodiscard]] const std::string& ocspStaple() const { return ocspStaple_; }
  [[nodiscard]] std::shared_ptr<const Certificate> withOcspStaple(std::string der) const;

 private:
  X509Ptr leaf_;
  EvpPkeyPtr key_;
  X509StackPtr chain_;
  std::vector<std::string> names_;
  std::vector<std::string> tags_;
  std::chrono::system_clock::time_point notAfter_;
  std::string fingerprint_;
  std::string ocspStaple_;
};

// PEM loading. Throw std::invalid_argument with a message naming the file (never key bytes).
std::shared_ptr<const Certificate> loadCertificateFiles(const std::string& certFile,
                                                        const std::string& keyFile,
                                                        std::vector<std::string> tags = {});
std::shared_ptr<const Certificate> loadCertificatePem(const std::string& certPem, const std::string& keyPem,
                                                      std::vector<std::string> tags = {});

}  // namespace gatehouse::tls
