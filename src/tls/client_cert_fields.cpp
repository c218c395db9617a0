#include "tls/client_cert_fields.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <vector>

#include "router/go_atoi.h"

namespace gatehouse::tls {

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

std::unique_ptr<X509, X509Free> parsePem(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<X509, X509Free>(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                             : nullptr);
}

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

std::string asn1Text(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<size_t>(ASN1_STRING_length(s))};
}

// Go's net.IP.String(): an IPv4 address, also one mapped into IPv6, prints dotted.
std::string ipText(const ASN1_OCTET_STRING* s) {
  const unsigned char* p = ASN1_STRING_get0_data(s);
  const int n = ASN1_STRING_length(s);
  static constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (n == 16 && std::equal(kMapped.begin(), kMapped.end(), p)) {
    return inet_ntop(AF_INET, p + 12, buf.data(), buf.size()) ? buf.data() : "";
  }
  if (n == 4 || n == 16) {
    return inet_ntop(n == 4 ? AF_INET : AF_INET6, p, buf.data(), buf.size()) ? buf.data() : "";
  }
  return "?" + hex(p, static_cast<size_t>(n));  // Go prints an IP of another length so
}

std::vector<std::string> sanList(X509* cert, std::string_view kind) {
  std::vector<std::string> out;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (kind == "dns_names" && gn->type == GEN_DNS) {
      out.push_back(asn1Text(gn->d.dNSName));
    } else if (kind == "emails" && gn->type == GEN_EMAIL) {
      out.push_back(asn1Text(gn->d.rfc822Name));
    } else if (kind == "ips" && gn->type == GEN_IPADD) {
      out.push_back(ipText(gn->d.iPAddress));
    } else if (kind == "uris" && gn->type == GEN_URI) {
      out.push_back(asn1Text(gn->d.uniformResourceIdentifier));
    }
  }
  return out;
}

// client.san.<kind>[.N]: the list as Go's %+v prints a slice, or element N ("" past the end).
bool sanField(std::string_view field, X509* cert, std::string& out) {
  for (std::string_view kind : {"dns_names", "emails", "ips", "uris"}) {
    if (!field.starts_with(kind)) {
      continue;
    }
    const std::vector<std::string> list = sanList(cert, kind);
    field.remove_prefix(kind.size());
    if (field.empty()) {
      out = "[";
      for (size_t i = 0; i < list.size(); ++i) {
        out += (i ? " " : "") + list[i];
      }
      out += ']';
      return true;
    }
    int64_t idx = 0;
    if (field.size() < 2 || field.front() != '.' ||
        router::goAtoi(field.substr(1), idx) != router::AtoiError::None || idx < 0) {
      return false;
    }
    out = static_cast<uint64_t>(idx) < list.size() ? list[static_cast<size_t>(idx)] : std::string();
    return true;
  }
  return false;
}

// Go's marshalPublicKey in Caddy: an EC point uncompressed, RSA as PKCS#1, Ed25519 raw;
// empty for other key types (Caddy's nil).
std::string publicKeyBytes(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) {
    return {};
  }
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_ED25519) {
    std::array<unsigned char, 64> raw{};
    size_t n = raw.size();
    return EVP_PKEY_get_raw_public_key(key, raw.data(), &n) == 1
               ? std::string(reinterpret_cast<const char*>(raw.data()), n)
               : std::string();
  }
  if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA) {
    return {};
  }
  unsigned char* der = nullptr;
  const int n = i2d_PublicKey(key, &der);
  std::string out =
      n > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(n)) : std::string();
  OPENSSL_free(der);
  return out;
}

std::string base64(const unsigned char* p, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(len > 0 ? static_cast<size_t>(len) : 0);
  return out;
}

}  // namespace

bool clientCertField(std::string_view field, const std::string& pem, std::string& out) {
  const bool san = field.starts_with("san.");
  if (!san && field != "public_key" && field != "public_key_sha256" && field != "certificate_der_base64") {
    return false;
  }
  auto cert = parsePem(pem);
  if (!cert) {
    return false;
  }
  if (san) {
    return sanField(field.substr(4), cert.get(), out);
  }
  if (field == "certificate_der_base64") {
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert.get(), &der);
    out = n > 0 ? base64(der, static_cast<size_t>(n)) : std::string();
    OPENSSL_free(der);
    return true;
  }
  const std::string key = publicKeyBytes(cert.get());
  if (key.empty() || field == "public_key") {
    out = hex(reinterpret_cast<const unsigned char*>(key.data()), key.size());
    return true;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_Digest(key.data(), key.size(), md.data(), &n, EVP_sha256(), nullptr);
  out = hex(md.data(), n);
  return true;
}

}  // namespace gatehouse::tls
