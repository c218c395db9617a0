#include "proxy/upstream_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "proxy/upstream_tls_renegotiation.h"

namespace gatehouse::proxy {

using config::Json;
using provision::ProvisionError;

namespace {

std::string opensslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) {
    return "unknown error";
  }
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

std::vector<std::string> stringList(const Json& v, const std::string& path) {
  if (!v.is_array()) {
    throw ProvisionError(path, "expected a list of strings");
  }
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) {
      throw ProvisionError(path, "expected a list of strings");
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

void addPemFile(X509_STORE* store, const std::string& file, const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), &BIO_free);
  if (!bio) {
    throw ProvisionError(path, "reading CA file " + file + ": " + opensslError());
  }
  int added = 0;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, c);
    X509_free(c);
    ++added;
  }
  ERR_clear_error();  // the end of the file reads as an error
  if (added == 0) {
    throw ProvisionError(path, "no PEM certificates in " + file);
  }
}

// Base64 DER certificates (root_ca_pool, tls.ca_pool.source.inline's trusted_ca_certs).
void addDer(X509_STORE* store, const std::string& b64, const std::string& path) {
  std::string der(b64.size(), '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                      reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n <= 0) {
    throw ProvisionError(path, "invalid base64 certificate");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  // EVP_DecodeBlock counts padding as zero bytes; d2i stops at the DER's own length.
  X509* c = d2i_X509(nullptr, &p, n);
  if (c == nullptr) {
    ERR_clear_error();
    throw ProvisionError(path, "invalid DER certificate");
  }
  X509_STORE_add_cert(store, c);
  X509_free(c);
}

// Caddy's curve names to OpenSSL's group names.
std::string groupName(const std::string& curve, const std::string& path) {
  if (curve == "x25519")
    return "X25519";
  if (curve == "secp256r1")
    return "P-256";
  if (curve == "secp384r1")
    return "P-384";
  if (curve == "secp521r1")
    return "P-521";
  throw ProvisionError(path, "unrecognized curve '" + curve + "'");
}

// The trust pool: system roots unless the config names CAs (then only those, as Go's RootCAs).
void setupTrust(SSL_CTX* ctx, const Json& t, const std::string& path) {
  X509_STORE* store = nullptr;
  auto custom = [&]() {
    if (store == nullptr) {
      store = X509_STORE_new();
      SSL_CTX_set_cert_store(ctx, store);  // the context owns it
    }
    return store;
  };
  if (t.contains("root_ca_pem_files")) {
    for (const auto& f : stringList(t["root_ca_pem_files"], path + ".root_ca_pem_files")) {
      addPemFile(custom(), f, path + ".root_ca_pem_files");
    }
  }
  if (t.contains("root_ca_pool")) {
    for (const auto& d : stringList(t["root_ca_pool"], path + ".root_ca_pool")) {
      addDer(custom(), d, path + ".root_ca_pool");
    }
  }
  if (t.contains("ca")) {
    const Json& ca = t["ca"];
    const std::string p = path + ".ca";
    const std::string provider = ca.is_object() ? ca.value("provider", "") : "";
    if (provider == "file") {
      for (const auto& f : stringList(ca.value("pem_files", Json::array()), p + ".pem_files")) {
        addPemFile(custom(), f, p + ".pem_files");
      }
    } else if (provider == "inline") {
      for (const auto& d : stringList(ca.value("trusted_ca_certs", Json::array()), p + ".trusted_ca_certs")) {
        addDer(custom(), d, p + ".trusted_ca_certs");
      }
    } else {
      throw ProvisionError(p + ".provider", "CA pool source '" + provider + "' is not supported yet");
    }
  }
  if (store == nullptr && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    throw ProvisionError(path, "loading the system's trusted roots: " + opensslError());
  }
}

void setupClientCertificate(SSL_CTX* ctx, const Json& t, const std::string& path) {
  if (t.contains("client_certificate_automate")) {
    throw ProvisionError(path + ".client_certificate_automate",
                         "client certificates from automation are not supported yet");
  }
  const bool cert = t.contains("client_certificate_file");
  const bool key = t.contains("client_certificate_key_file");
  if (cert != key) {
    throw ProvisionError(path, "client_certificate_file and client_certificate_key_file go together");
  }
  if (!cert) {
    return;
  }
  const std::string certFile = t.value("client_certificate_file", "");
  const std::string keyFile = t.value("client_certificate_key_file", "");
  if (SSL_CTX_use_certificate_chain_file(ctx, certFile.c_str()) != 1) {
    throw ProvisionError(path + ".client_certificate_file", "loading " + certFile + ": " + opensslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, keyFile.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    throw ProvisionError(path + ".client_certificate_key_file", "loading " + keyFile + ": " + opensslError());
  }
}

bool isIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::shared_ptr<UpstreamTls> UpstreamTls::parse(const Json& t, const std::string& path) {
  if (!t.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  static constexpr const char* kKnown[] = {"root_ca_pem_files",
                                           "root_ca_pool",
                                           "ca",
                                           "client_certificate_file",
                                           "client_certificate_key_file",
                                           "client_certificate_automate",
                                           "insecure_skip_verify",
                                           "handshake_timeout",
                                           "server_name",
                                           "renegotiation",
                                           "except_ports",
                                           "curves"};
  for (const auto& [k, _] : t.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
      throw ProvisionError(path + "." + k, "'" + k + "' is not supported yet");
    }
  }
  std::shared_ptr<UpstreamTls> u(new UpstreamTls());
  u->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!u->ctx_) {
    throw ProvisionError(path, "creating the TLS client context: " + opensslError());
  }
  SSL_CTX* ctx = u->ctx_.get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // Go's client default
  // Sessions are kept by UpstreamTls itself (per dial address), not OpenSSL's internal cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  const std::string renegotiation = t.value("renegotiation", "never");
  const auto limit = parseRenegotiation(renegotiation);
  if (!limit) {
    throw ProvisionError(path + ".renegotiation", "invalid TLS renegotiation level: " + renegotiation);
  }
  watchRenegotiation(ctx, *limit);
  setupTrust(ctx, t, path);
  setupClientCertificate(ctx, t, path);
  u->insecure_ = t.value("insecure_skip_verify", false);
  SSL_CTX_set_verify(ctx, u->insecure_ ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  if (t.contains("curves")) {
    std::string groups;
    for (const auto& c : stringList(t["curves"], path + ".curves")) {
      groups += (groups.empty() ? "" : ":") + groupName(c, path + ".curves");
    }
    if (SSL_CTX_set1_groups_list(ctx, groups.c_str()) != 1) {
      throw ProvisionError(path + ".curves", "setting curves: " + opensslError());
    }
  }
  u->serverName_ = t.value("server_name", "");
  if (u->serverName_.find('{') != std::string::npos) {
    throw ProvisionError(path + ".server_name", "placeholders in server_name are not supported yet");
  }
  if (t.contains("except_ports")) {
    u->exceptPorts_ = stringList(t["except_ports"], path + ".except_ports");
  }
  if (t.contains("handshake_timeout")) {
    u->handshakeTimeout_ = provision::parseDuration(t["handshake_timeout"], path + ".handshake_timeout");
  }
  return u;
}

UpstreamTls::~UpstreamTls() {
  for (auto& [_, s] : sessions_) {
    SSL_SESSION_free(s);
  }
}

bool UpstreamTls::appliesToPort(const std::string& port) const {
  return std::find(exceptPorts_.begin(), exceptPorts_.end(), port) == exceptPorts_.end();
}

tls::SslPtr UpstreamTls::newSsl(const std::string& host, const std::string& dial,
                                std::string_view alpn) const {
  tls::SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_connect_state(ssl.get());
  const std::string& name = serverName_.empty() ? host : serverName_;
  const bool ip = isIpLiteral(name);
  if (!ip && !name.empty()) {
    SSL_set_tlsext_host_name(ssl.get(), name.c_str());
  }
  if (!insecure_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (ok != 1) {
      ERR_clear_error();
      return nullptr;
    }
  }
  if (!alpn.empty()) {
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                        static_cast<unsigned>(alpn.size()));
  }
  std::lock_guard<std::mutex> lock(sessionsLock_);
  if (auto it = sessions_.find(dial); it != sessions_.end()) {
    // A copy: the connection never holds the kept session itself (see rememberSession).
    if (SSL_SESSION* copy = SSL_SESSION_dup(it->second); copy != nullptr) {
      SSL_set_session(ssl.get(), copy);
      SSL_SESSION_free(copy);  // the SSL holds its own reference
    }
  }
  return ssl;
}

void UpstreamTls::rememberSession(const std::string& dial, SSL* ssl) const {
  SSL_SESSION* live = SSL_get1_session(ssl);
  if (live == nullptr) {
    return;
  }
  // Kept as a copy: OpenSSL marks a connection's own session not resumable when the
  // connection is freed without a close_notify sent (a client that leaves, a non-keep-alive
  // upstream whose close_notify had not come yet), which made resumption depend on how
  // soon the client side went away. Go's client keeps the ticket whatever the close, and
  // TLS 1.1+ no longer asks otherwise.
  SSL_SESSION* s = SSL_SESSION_is_resumable(live) == 1 ? SSL_SESSION_dup(live) : nullptr;
  SSL_SESSION_free(live);
  if (s == nullptr) {
    return;
  }
  std::lock_guard<std::mutex> lock(sessionsLock_);
  auto& slot = sessions_[dial];
  if (slot != nullptr) {
    SSL_SESSION_free(slot);
  }
  slot = s;
}

}  // namespace gatehouse::proxy
