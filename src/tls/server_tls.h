#pragma once
// A server's TLS configuration as OpenSSL runs it: one SSL_CTX shared by every worker
// (SSL_CTX is safe for concurrent SSL_new and handshakes), the connection policies, and
// the shared certificate store, ticket keys and acme-tls/1 hook. Certificates and policy
// settings are chosen per handshake in the ClientHello callback. Immutable after provision.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/tls/certificate_managers.h"
#include "gatehouse/tls/certificate_store.h"
#include "gatehouse/tls/challenge_provider.h"
#include "gatehouse/tls/on_demand.h"
#include "tls/connection_policy.h"
#include "tls/ticket_keys.h"

namespace gatehouse::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

// What the ClientHello callback learns about one handshake; owned by the connection's
// TlsStream and reachable through SSL app data.
struct HandshakeState {
  std::string localIp;     // the connection's local address: certmagic's name without SNI
  std::string serverName;  // SNI, lower-case, no trailing dot
  const ConnectionPolicy* policy = nullptr;
  bool acmeChallenge = false;  // answered an acme-tls/1 challenge; no HTTP follows
  // Set when the ClientHello callback paused the handshake for a certificate obtained on
  // demand (SSL_CLIENT_HELLO_RETRY); the second callback never pauses again.
  const OnDemandCertificates* onDemand = nullptr;
  bool onDemandAsked = false;
  // What the paused handshake waits for (the connection starts the matching wait).
  enum class Wait { None, Managers, OnDemand, StoredChallenge };
  Wait waitingFor = Wait::None;
  // Certificate managers (tls.get_certificate.*): asked once, before on-demand TLS.
  const CertificateManagers* managers = nullptr;
  bool managersAsked = false;
  bool managersAnswered = false;
  ManagerQuery managerQuery;
  ManagerAnswer managerAnswer;
  std::string onDemandName;  // what the paused handshake waits for: the SNI or its stand-in
  // acme-tls/1 for a name with no challenge in memory: looked up once in storage (a
  // challenge another server sharing it presented), the handshake paused meanwhile.
  std::shared_ptr<const ChallengeCertificateProvider> challenges;
  bool storedChallengeAsked = false;
  std::shared_ptr<const Certificate> storedChallengeCert;
  // TLS 1.3 with no ALPN protocol in common: Go refuses after its ServerHello, under the
  // handshake keys. The handshake goes on without ALPN until that flight is written; the
  // key log hands over the server's handshake secret, and TlsStream then sends the alert.
  bool alpnRefusedLate = false;
  std::string serverHandshakeSecret;  // raw bytes; only while alpnRefusedLate
  // Set when the handshake fails for want of a certificate and the client sent no SNI:
  // the connection logs it (a client without SNI is otherwise hard to diagnose).
  std::string noSniFailure;
};

struct ServerTlsOptions {
  std::vector<ConnectionPolicy> policies;
  std::vector<std::string> alpn;  // server preference: "h2", "http/1.1"
  std::shared_ptr<CertificateStore> store;
  std::shared_ptr<TicketKeyRing> tickets;                          // null: session tickets disabled
  std::shared_ptr<const ChallengeCertificateProvider> challenges;  // may be null
  std::shared_ptr<const OnDemandCertificates> onDemand;            // null: no on-demand TLS
  std::shared_ptr<const CertificateManagers> managers;             // null: no get_certificate
};

class ServerTls {
 public:
  // Throws std::runtime_error when OpenSSL refuses a setting.
  explicit ServerTls(ServerTlsOptions options);
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // A server-side SSL for one connection, its state object attached as app data.
  [[nodiscard]] SslPtr newSsl(HandshakeState& state) const;
  [[nodiscard]] const std::vector<std::string>& alpn() const { return options_.alpn; }
  // The protocols a handshake under `policy` offers: its `alpn`, else the server's.
  [[nodiscard]] const std::vector<std::string>& alpnFor(const ConnectionPolicy* policy) const {
    return policy != nullptr && !policy->alpn.empty() ? policy->alpn : options_.alpn;
  }

 private:
  static int onClientHello(SSL* ssl, int* alert, void* arg);
  static int onAlpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                    unsigned int inlen, void* arg);
  static int onTicketKey(SSL* ssl, unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
                         EVP_MAC_CTX* mac, int encrypt);
  static int onVerify(int preverified, X509_STORE_CTX* ctx);
  static void onKeyLog(const SSL* ssl, const char* line);

  int clientHello(SSL* ssl, HandshakeState& state, int* alert) const;
  // The name an on-demand certificate would be obtained for (certmagic: the SNI, else
  // default_sni, else the local address; then fallback_sni): the first one on-demand
  // TLS covers, "" when none is.
  [[nodiscard]] std::string onDemandName(const ConnectionPolicy& policy, const HandshakeState& state) const;
  [[nodiscard]] CertificatePtr selectCertificate(SSL* ssl, const ConnectionPolicy& policy,
                                                 const HandshakeState& state) const;
  // certmagic's cache match for a name: the name exactly, then (when `name` is the SNI)
  // wildcard candidates. `sni` is the ClientHello's (a certificate valid for it is
  // preferred among several).
  [[nodiscard]] CertificatePtr pick(SSL* ssl, const ConnectionPolicy& policy, const std::string& name,
                                    const std::string& sni) const;
  // certmagic's selectCert for one candidate name, as the policy's selection filters it.
  [[nodiscard]] CertificatePtr selectFor(SSL* ssl, const ConnectionPolicy& policy, const std::string& name,
                                         const std::string& sni) const;
  // Pauses the handshake to ask the certificate managers when no certificate matches the
  // SNI (certmagic asks them after its cache, before on-demand TLS and default_sni).
  bool pauseForManagers(SSL* ssl, const ConnectionPolicy& policy, HandshakeState& state) const;
  bool applyPolicy(SSL* ssl, const ConnectionPolicy& policy) const;
  // Refusals Go (caddy 2.6.2) makes before choosing a certificate where OpenSSL makes them
  // later or in another order: the alert to send, 0 for none.
  [[nodiscard]] int goEarlyAlert(SSL* ssl, const ConnectionPolicy& policy,
                                 const std::vector<std::string_view>& offered) const;
  // Refusals Go makes after choosing `cert`, before ALPN: the alert, 0 for none.
  [[nodiscard]] int goCertificateAlert(SSL* ssl, const Certificate& cert, const ConnectionPolicy& policy,
                                       const std::vector<std::string_view>& offered) const;

  ServerTlsOptions options_;
  SslCtxPtr ctx_;
};

}  // namespace gatehouse::tls
