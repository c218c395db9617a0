#include "tls/certificate_support.h"

#include <openssl/evp.h>
#include <openssl/tls1.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdint>

namespace gatehouse::tls {

namespace {

using U16s = std::vector<uint16_t>;

// A ClientHello extension that is a list of 16-bit values behind a length prefix of
// `prefix` bytes (supported_versions: 1, signature_algorithms and supported_groups: 2).
U16s extensionList(SSL* ssl, unsigned type, size_t prefix) {
  U16s out;
  const unsigned char* p = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, type, &p, &len) != 1 || len < prefix) {
    return out;
  }
  for (size_t i = prefix; i + 1 < len; i += 2) {
    out.push_back(static_cast<uint16_t>((p[i] << 8) | p[i + 1]));
  }
  return out;
}

bool contains(const U16s& list, uint16_t v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

int negotiatedVersion(SSL* ssl) {
  U16s offered = extensionList(ssl, TLSEXT_TYPE_supported_versions, 1);
  if (offered.empty()) {
    for (int v = static_cast<int>(SSL_client_hello_get0_legacy_version(ssl)); v >= TLS1_VERSION; --v) {
      offered.push_back(static_cast<uint16_t>(v));
    }
  }
  const long lo = SSL_get_min_proto_version(ssl);
  const long hi = SSL_get_max_proto_version(ssl);
  for (uint16_t v : offered) {
    if ((lo == 0 || v >= lo) && (hi == 0 || v <= hi) && v >= TLS1_2_VERSION && v <= TLS1_3_VERSION) {
      return v;
    }
  }
  return 0;
}

namespace {

// The groups the connection policy allows ("X25519:P-256"), as IANA ids. OpenSSL has no
// getter for an SSL's own list (SSL_get1_groups reports the client's).
U16s serverGroups(const std::string& list) {
  U16s out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) {
      end = list.size();
    }
    const std::string name = list.substr(start, end - start);
    const uint16_t id = name == "X25519"  ? 29
                        : name == "P-256" ? 23
                        : name == "P-384" ? 24
                        : name == "P-521" ? 25
                                          : 0;
    if (id != 0) {
      out.push_back(id);
    }
    start = end + 1;
  }
  return out;
}

struct KeyKind {
  enum { Rsa, Ecdsa, Ed25519, Other } type = Other;
  uint16_t curve = 0;  // IANA group of an ECDSA key
};

KeyKind keyKind(EVP_PKEY* key) {
  KeyKind k;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      k.type = KeyKind::Rsa;
      break;
    case EVP_PKEY_ED25519:
      k.type = KeyKind::Ed25519;
      break;
    case EVP_PKEY_EC: {
      k.type = KeyKind::Ecdsa;
      char name[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) == 1) {
        const std::string n(name, len);
        k.curve = n == "prime256v1" ? 23 : n == "secp384r1" ? 24 : n == "secp521r1" ? 25 : 0;
      }
      break;
    }
    default:
      break;
  }
  return k;
}

// Go's signatureSchemesForCertificate: what this key can sign with at this version.
U16s schemesFor(const KeyKind& k, int version) {
  const bool tls13 = version == TLS1_3_VERSION;
  switch (k.type) {
    case KeyKind::Ecdsa:
      if (tls13) {
        return {static_cast<uint16_t>(k.curve == 23   ? 0x0403
                                      : k.curve == 24 ? 0x0503
                                      : k.curve == 25 ? 0x0603
                                                      : 0)};
      }
      return {0x0403, 0x0503, 0x0603, 0x0203};
    case KeyKind::Rsa:
      if (tls13) {
        return {0x0804, 0x0805, 0x0806};
      }
      return {0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201};
    case KeyKind::Ed25519:
      return {0x0807};
    default:
      return {};
  }
}

// A TLS 1.2 suite both sides allow that fits `want` (kx and auth NIDs).
bool mutualSuite(SSL* ssl, int kx, int auth) {
  const unsigned char* ids = nullptr;
  const size_t n = SSL_client_hello_get0_ciphers(ssl, &ids);
  U16s offered;
  for (size_t i = 0; i + 1 < n; i += 2) {
    offered.push_back(static_cast<uint16_t>((ids[i] << 8) | ids[i + 1]));
  }
  STACK_OF(SSL_CIPHER)* ours = SSL_get_ciphers(ssl);
  for (int i = 0; i < sk_SSL_CIPHER_num(ours); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ours, i);
    if (SSL_CIPHER_get_kx_nid(c) == kx && (auth == NID_undef || SSL_CIPHER_get_auth_nid(c) == auth) &&
        contains(offered, static_cast<uint16_t>(SSL_CIPHER_get_protocol_id(c)))) {
      return true;
    }
  }
  return false;
}

bool validFor(X509* leaf, const std::string& name) {
  if (X509_check_ip_asc(leaf, name.c_str(), 0) == 1) {
    return true;
  }
  return X509_check_host(leaf, name.data(), name.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1;
}

bool inValidityPeriod(X509* leaf) {
  return X509_cmp_current_time(X509_get0_notBefore(leaf)) < 0 &&
         X509_cmp_current_time(X509_get0_notAfter(leaf)) > 0;
}

}  // namespace

bool clientSupportsCertificate(SSL* ssl, const Certificate& cert, const ConnectionPolicy& policy,
                               const std::string& serverName) {
  const int version = negotiatedVersion(ssl);
  if (version == 0) {
    return false;
  }
  if (!serverName.empty() && !validFor(cert.leaf(), serverName)) {
    return false;
  }
  const KeyKind key = keyKind(cert.key());
  // Static RSA key exchange: TLS 1.2 only, an RSA key, a mutual non-ECDHE suite.
  auto rsaFallback = [&] {
    return version < TLS1_3_VERSION && key.type == KeyKind::Rsa && mutualSuite(ssl, NID_kx_rsa, NID_undef);
  };
  const U16s sigalgs = extensionList(ssl, TLSEXT_TYPE_signature_algorithms, 2);
  if (!sigalgs.empty()) {
    const U16s ours = schemesFor(key, version);
    if (std::none_of(ours.begin(), ours.end(), [&](uint16_t s) { return s != 0 && contains(sigalgs, s); })) {
      return rsaFallback();
    }
  }
  if (version == TLS1_3_VERSION) {
    return true;
  }
  const U16s clientGroups = extensionList(ssl, TLSEXT_TYPE_supported_groups, 2);
  const U16s ourGroups = serverGroups(policy.groups.empty() ? kDefaultGroups : policy.groups);
  if (std::none_of(clientGroups.begin(), clientGroups.end(),
                   [&](uint16_t g) { return contains(ourGroups, g); })) {
    return rsaFallback();
  }
  int auth = NID_auth_rsa;
  if (key.type == KeyKind::Ecdsa) {
    if (!contains(clientGroups, key.curve) || !contains(ourGroups, key.curve)) {
      return false;  // Go: "client doesn't support certificate curve"
    }
    auth = NID_auth_ecdsa;
  } else if (key.type == KeyKind::Ed25519) {
    if (sigalgs.empty()) {
      return false;
    }
    auth = NID_auth_ecdsa;  // Ed25519 signs the ECDSA suites in TLS 1.2
  } else if (key.type != KeyKind::Rsa) {
    return rsaFallback();
  }
  return mutualSuite(ssl, NID_kx_ecdhe, auth) || rsaFallback();
}

int tls13SignatureAlert(SSL* ssl, const Certificate& cert) {
  const U16s sigalgs = extensionList(ssl, TLSEXT_TYPE_signature_algorithms, 2);
  if (sigalgs.empty()) {
    return SSL_AD_MISSING_EXTENSION;  // RFC 8446 section 4.2.3: required in TLS 1.3
  }
  const U16s ours = schemesFor(keyKind(cert.key()), TLS1_3_VERSION);
  const bool fits =
      std::any_of(ours.begin(), ours.end(), [&](uint16_t s) { return s != 0 && contains(sigalgs, s); });
  return fits ? 0 : SSL_AD_HANDSHAKE_FAILURE;
}

bool tls13WithoutSharedGroup(SSL* ssl, const ConnectionPolicy& policy) {
  if (negotiatedVersion(ssl) != TLS1_3_VERSION) {
    return false;
  }
  const U16s clientGroups = extensionList(ssl, TLSEXT_TYPE_supported_groups, 2);
  const U16s ourGroups = serverGroups(policy.groups.empty() ? kDefaultGroups : policy.groups);
  return std::none_of(clientGroups.begin(), clientGroups.end(),
                      [&](uint16_t g) { return contains(ourGroups, g); });
}

CertificatePtr defaultCertificateChoice(SSL* ssl, const std::vector<CertificatePtr>& choices,
                                        const ConnectionPolicy& policy, const std::string& serverName) {
  if (choices.size() <= 1) {
    return choices.empty() ? nullptr : choices.front();
  }
  CertificatePtr best = choices.front();
  for (const auto& c : choices) {
    if (!clientSupportsCertificate(ssl, *c, policy, serverName)) {
      continue;
    }
    best = c;
    if (inValidityPeriod(c->leaf())) {
      return c;
    }
  }
  return best;
}

}  // namespace gatehouse::tls
