#pragma once
// When a certificate is due: Caddy's default renewal window is the last third of its
// lifetime; a CA offering ARI (RFC 9773) may suggest its own window, in which we pick a
// uniformly random moment (section 4.2) so a fleet does not renew in lockstep.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "crypto/certificate_info.h"

namespace gatehouse::acme {

using Clock = std::chrono::system_clock;

struct RenewalWindow {
  Clock::time_point start;
  Clock::time_point end;
};

// notAfter - lifetime/3
Clock::time_point defaultRenewalTime(const CertificateInfo& info);

// Parses an ARI renewalInfo body ({"suggestedWindow":{"start","end"}}); nullopt when
// malformed or when end is not after start.
std::optional<RenewalWindow> parseRenewalInfo(const nlohmann::json& body);

// A moment in the window, uniformly at random; `unit` in [0,1) is the random draw.
Clock::time_point pickInWindow(const RenewalWindow& w, double unit);

}  // namespace gatehouse::acme
