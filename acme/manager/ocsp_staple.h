#pragma once
// OCSP stapling for managed certificates: only a certificate whose AIA names a responder
// is stapled (Let's Encrypt ended OCSP in 2025; pebble's certificates name none). The
// response is checked (signed for this certificate by its issuer or a delegate, status
// good, current) before it is stapled; any failure just means no staple, never a failed
// handshake. Pure functions; CertificateManager fetches through its curl client.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace gatehouse::acme {

struct OcspQuery {
  std::string url;         // the responder the certificate names
  std::string requestDer;  // an OCSP request for the leaf (RFC 6960), POSTed to url
};

// nullopt when the leaf names no responder or the chain lacks its issuer.
std::optional<OcspQuery> ocspQueryFor(const std::string& chainPem);

struct OcspStaple {
  std::string der;
  std::chrono::system_clock::time_point thisUpdate;
  std::chrono::system_clock::time_point nextUpdate;  // thisUpdate + 1 h when the responder gives none
};

// A signed, current answer saying the leaf is revoked: the certificate must be replaced.
class OcspRevoked : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks a responder's answer for the chain's leaf. Throws std::runtime_error saying why
// it is not stapled (malformed, unsuccessful, bad signature, not good, expired).
OcspStaple checkOcspResponse(const std::string& der, const std::string& chainPem);

// When to fetch again: halfway through the response's validity (as certmagic), at least a
// minute from now.
std::chrono::system_clock::time_point ocspRefreshTime(const OcspStaple& staple);

}  // namespace gatehouse::acme
