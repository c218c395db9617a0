#pragma once
// Certificate managers (Caddy's tls.get_certificate.*, certmagic's Manager): during a
// handshake for a name no certificate in the store matches, the automation policy covering
// the name may ask external managers for a certificate. As certmagic 0.17 (Caddy 2.6.2),
// the answer serves that one handshake and is not cached: the next handshake asks again.
// The handshake is paused (SSL_CLIENT_HELLO_RETRY) while the managers answer.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/tls/certificate.h"

namespace gatehouse::tls {

// What certmagic hands a manager from the ClientHello.
struct ManagerQuery {
  std::string serverName;                  // SNI as sent (lower-case), "" without SNI
  std::vector<uint16_t> signatureSchemes;  // the signature_algorithms extension, in order
  std::vector<uint16_t> cipherSuites;      // as offered, in order
};

// A manager that failed (an error status, no answer, a bad body). As certmagic 0.17 (Caddy
// 2.6.2), a failure is logged and the handshake goes on as without that manager.
struct ManagerFailure {
  size_t index = 0;     // the manager's position in its policy's list
  std::string message;  // names the manager's URL without user info or query
};

// cert set: serve it. cert null: no manager gave one; the handshake goes on as without
// managers (the certificate store, on-demand TLS, default_sni...), and `failures` are logged.
struct ManagerAnswer {
  std::shared_ptr<const Certificate> cert;
  std::vector<ManagerFailure> failures;
};

class CertificateManagers {
 public:
  virtual ~CertificateManagers() = default;
  // Whether the automation policy covering `name` (lower-case SNI, "" without SNI) has
  // managers. Worker threads: thread-safe, never blocks.
  [[nodiscard]] virtual bool covers(std::string_view name) const = 0;
  // Asks the managers of that policy in order. `done` runs exactly once, on any thread
  // (possibly before request() returns). Never blocks.
  virtual void request(ManagerQuery query, std::function<void(ManagerAnswer)> done) const = 0;
};

}  // namespace gatehouse::tls
