#include "tls/tls_numbers.h"

#include <openssl/ssl.h>

#include <memory>
#include <unordered_map>

namespace gatehouse::tls {

namespace {

// Every suite this OpenSSL knows, by IANA name; built once, read-only afterwards.
std::unordered_map<std::string, uint16_t> suiteTable() {
  std::unordered_map<std::string, uint16_t> out;
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) {
    return out;
  }
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_cipher_list(ctx.get(), "ALL:COMPLEMENTOFALL");
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) {
    return out;
  }
  STACK_OF(SSL_CIPHER)* list = SSL_get_ciphers(ssl.get());
  for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(list, i);
    if (const char* name = SSL_CIPHER_standard_name(c)) {
      out.emplace(name, SSL_CIPHER_get_protocol_id(c));
    }
  }
  return out;
}

}  // namespace

uint16_t versionNumber(std::string_view name) {
  if (name == "tls1.3") {
    return TLS1_3_VERSION;
  }
  if (name == "tls1.2") {
    return TLS1_2_VERSION;
  }
  if (name == "tls1.1") {
    return TLS1_1_VERSION;
  }
  return name == "tls1.0" ? TLS1_VERSION : 0;
}

uint16_t cipherSuiteNumber(std::string_view ianaName) {
  static const std::unordered_map<std::string, uint16_t> table = suiteTable();
  auto it = table.find(std::string(ianaName));
  return it == table.end() ? 0 : it->second;
}

std::string commonName(std::string_view dn) {
  // Attributes are separated by unescaped ',' (RDNs) or '+' (multi-valued RDNs).
  size_t i = 0;
  while (i < dn.size()) {
    std::string type;
    while (i < dn.size() && dn[i] != '=' && dn[i] != ',' && dn[i] != '+') {
      type += dn[i++];
    }
    std::string value;
    if (i < dn.size() && dn[i] == '=') {
      ++i;
      while (i < dn.size() && dn[i] != ',' && dn[i] != '+') {
        if (dn[i] == '\\' && i + 1 < dn.size()) {
          ++i;
        }
        value += dn[i++];
      }
    }
    if (type == "CN") {
      return value;
    }
    ++i;  // the separator
  }
  return {};
}

}  // namespace gatehouse::tls
