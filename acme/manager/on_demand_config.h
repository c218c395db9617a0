#pragma once
// On-demand TLS settings for the certificate manager: Caddy's apps.tls.automation.on_demand
// (`ask` / `permission http`, `rate_limit`) and which names an on-demand automation policy
// covers, with the issuer and key type each policy gives them.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "crypto/private_key.h"

namespace gatehouse::acme {

// One automation policy as on-demand TLS sees it, in policy order: the first policy whose
// subjects cover a name decides (no subjects = every name).
struct OnDemandRule {
  std::vector<std::string> subjects;
  bool onDemand = false;
  size_t issuer = 0;  // index into ManagerConfig::issuers (meaningful when onDemand)
  KeyType keyType = KeyType::P256;
  bool ocspStapling = true;  // false: the policy's disable_ocsp_stapling
};

struct OnDemandConfig {
  std::string ask;  // GET ask?domain=NAME; a 2xx answer allows the name ("" = no check)
  // certmagic's ring-buffer limiter: at most `burst` new certificates in any `interval`.
  // Without rate_limit (interval 0 and burst 0) nothing is limited.
  std::chrono::nanoseconds interval{0};
  int burst = 0;
  bool rateLimitSet = false;  // rate_limit was given (even as zeros): no abuse warning
  std::vector<OnDemandRule> rules;
};

}  // namespace gatehouse::acme
