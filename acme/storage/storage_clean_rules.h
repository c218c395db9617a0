#pragma once
// What Caddy 2.6.2's storage cleaning (certmagic's CleanStorage, run with OCSPStaples and
// ExpiredCerts on and a 14-day grace period) decides about one stored file. Pure functions:
// storage_cleaner.cpp walks the storage and deletes what they select.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::acme {

// How long a certificate stays in storage after it expired (Caddy 2.6.2: 14 days).
inline constexpr std::chrono::hours kExpiredCertGracePeriod{24 * 14};

enum class StapleState {
  Current,     // kept
  Expired,     // its next update is past (or it names none): deleted
  Unreadable,  // not a successful basic OCSP response: deleted as corrupt
};

// A file under ocsp/ (a DER OCSP response), judged as certmagic does: the first single
// response's nextUpdate against `now`.
StapleState stapleState(std::string_view der, std::chrono::system_clock::time_point now);

// The first PEM block of a .crt file read as a certificate: its NotAfter, or `error` with
// certmagic's text ("does not contain PEM-encoded certificate", "is malformed; ...").
struct StoredCertExpiry {
  std::optional<std::chrono::system_clock::time_point> notAfter;
  std::string error;  // set when notAfter is not
};
StoredCertExpiry storedCertExpiry(std::string_view pem, const std::string& key);

// True when a certificate that expired at notAfter is due for deletion at `now`: it expired
// at least `grace` ago. A valid certificate (notAfter in the future) never is.
bool expiredBeyondGrace(std::chrono::system_clock::time_point notAfter,
                        std::chrono::system_clock::time_point now,
                        std::chrono::nanoseconds grace = kExpiredCertGracePeriod);

}  // namespace gatehouse::acme
