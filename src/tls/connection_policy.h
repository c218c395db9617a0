#pragma once
// One provisioned TLS connection policy (Caddy's tls_connection_policies[i]): how to match
// a ClientHello and what to apply to the handshake it matches. Immutable after provision.

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/tls/certificate.h"
#include "tls/key_log_file.h"

namespace gatehouse::tls {

struct X509StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;

enum class ClientAuthMode { None, Request, Require, VerifyIfGiven, RequireAndVerify };

struct ClientAuthPolicy {
  ClientAuthMode mode = ClientAuthMode::None;
  X509StorePtr trustedCas;             // null: no chain verification against CAs
  std::vector<X509Ptr> caNames;        // the same CAs, named in CertificateRequest as Go does
  std::vector<X509Ptr> trustedLeaves;  // non-empty: the client leaf must be one of these
};

struct ConnectionPolicy {
  std::vector<std::string> matchSni;  // empty: any ClientHello (exact or "*.x" patterns)
  std::vector<std::string> anyTag;    // certificate_selection.any_tag
  std::vector<std::string> allTags;   // certificate_selection.all_tags
  int minVersion = TLS1_2_VERSION;
  int maxVersion = TLS1_3_VERSION;
  std::string cipherList;         // OpenSSL names for TLS 1.2 (1.3 suites are fixed, as in Go)
  std::string groups;             // "X25519:P-256"; empty: kDefaultGroups
  std::vector<std::string> alpn;  // explicit `alpn`; empty: the server's protocols
  ClientAuthPolicy clientAuth;
  std::string defaultSni;
  std::string fallbackSni;
  bool drop = false;
  std::shared_ptr<KeyLogFile> keyLog;  // insecure_secrets_log; null: secrets are not written

  [[nodiscard]] bool matches(const std::string& serverName) const;
  [[nodiscard]] bool selects(const Certificate& cert) const;
};

// Caddy's defaults (modules/caddytls/values.go): ECDHE with AES-GCM, then
// ChaCha20-Poly1305; curves X25519 and P-256 only (a client offering only P-384 gets
// handshake_failure from caddy 2.6.2; tls_fuzz.py compares it). In the order Go (1.17+) picks from them,
// whatever order the config gives: AES-128 before AES-256 ({http.request.tls.cipher_suite}
// of a TLS 1.2 connection names the same suite as caddy's).
inline constexpr const char* kDefaultCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kDefaultGroups = "X25519:P-256";
// Go's TLS 1.3 order.
inline constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// Wildcard matching as certmagic.MatchWildcard: "*.example.com" covers exactly one label.
bool matchesServerName(const std::string& pattern, const std::string& name);

}  // namespace gatehouse::tls
