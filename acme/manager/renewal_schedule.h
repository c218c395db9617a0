#pragma once
// When a managed certificate is renewed, shared by `gatehouse run` (CertificateManager) and
// `gatehouse certs` (CertService): Caddy's renewal window (renew when `ratio` of the
// lifetime remains, a third by default), the CA's ARI window when it offers renewalInfo
// (RFC 9773), and the exponential backoff after failures.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "crypto/certificate_info.h"
#include "service/renewal_policy.h"

namespace gatehouse::acme {

class AcmeClient;

inline constexpr double kDefaultRenewalWindowRatio = 1.0 / 3;
inline constexpr std::chrono::seconds kDefaultRenewInterval{600};  // Caddy's renew_interval
inline constexpr std::chrono::seconds kDefaultOcspInterval{3600};  // Caddy's ocsp_interval

// notAfter - lifetime * ratio (ratio in (0,1)).
Clock::time_point renewalTime(const CertificateInfo& info, double ratio);

// The wait after the `failures`-th consecutive failure: certmagic's steps (1, 2, 2, 5, 10,
// 20, 20, 30, 30, 60, 180 minutes, then 6 hours each time), at most a twelfth of the
// certificate's `lifetime` when known (never under a minute), never sooner than the CA's
// Retry-After.
std::chrono::seconds retryDelay(int failures, std::chrono::seconds retryAfter,
                                std::chrono::seconds lifetime = std::chrono::seconds(0));

// The moment picked in an ARI window. RFC 9773 section 4.2: a uniformly random moment in the
// suggested window, kept while the CA keeps suggesting the same window, so that checking
// every renew_interval does not move it; a new window gets a new pick.
struct AriPick {
  RenewalWindow window;
  Clock::time_point at;
};
AriPick pickRenewalTime(const RenewalWindow& window, const std::optional<AriPick>& previous, double unit);

// A uniform draw in [0,1) for pickRenewalTime.
double randomUnit();

// Asks the CA's renewalInfo endpoint about `info` (its ARI CertID). `done` gets the window,
// or nullopt and why not (no ARI at this CA, no CertID, an error, a malformed answer).
void fetchRenewalWindow(const std::shared_ptr<AcmeClient>& client, const CertificateInfo& info,
                        std::function<void(std::optional<RenewalWindow>, std::string why)> done);

}  // namespace gatehouse::acme
