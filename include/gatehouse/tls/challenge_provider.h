#pragma once
// The acme-tls/1 hook (RFC 8737): while an ACME TLS-ALPN-01 challenge for a name is in
// progress, the ACME client supplies the self-signed challenge certificate here. A
// ClientHello that offers only "acme-tls/1" is answered with it and nothing else.

#include <memory>
#include <string_view>

#include "gatehouse/tls/certificate.h"

namespace gatehouse::tls {

inline constexpr std::string_view kAcmeTlsAlpn = "acme-tls/1";

class ChallengeCertificateProvider {
 public:
  virtual ~ChallengeCertificateProvider() = default;
  // The challenge certificate for `serverName`, or null when no challenge is pending.
  // Called on worker threads during handshakes: must be thread-safe and must not block.
  [[nodiscard]] virtual std::shared_ptr<const Certificate> challengeCertificate(
      std::string_view serverName) const = 0;
  // Whether a name challengeCertificate() has nothing for may still have a challenge that
  // another server sharing the storage presented: the handshake then pauses (as for
  // on-demand TLS) while storedChallengeCertificate() runs on libuv's thread pool.
  [[nodiscard]] virtual bool looksUpStored() const { return false; }
  // Blocking (reads storage): thread pool only. Null when nothing is stored for the name.
  [[nodiscard]] virtual std::shared_ptr<const Certificate> storedChallengeCertificate(
      std::string_view /*serverName*/) const {
    return nullptr;
  }
};

}  // namespace gatehouse::tls
