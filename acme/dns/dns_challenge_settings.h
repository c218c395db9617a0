#pragma once
// The DNS challenge of an ACME issuer as Caddy's JSON writes it
// (issuers[].challenges.dns: provider, ttl, propagation_delay, propagation_timeout,
// resolvers, override_domain), checked at start-up so that a bad provider config stops
// `run` / `certs` with its JSON path instead of failing at the first order.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dns/name_server.h"

namespace gatehouse::acme::dns {

struct DnsChallengeSettings {
  nlohmann::json provider;      // {"name": "rfc2136", ...} with {env.*} already expanded
  std::chrono::seconds ttl{0};  // 0 = provider default
  std::chrono::milliseconds propagationDelay{0};
  std::chrono::milliseconds propagationTimeout{0};  // 0 = certmagic's 2 minutes; < 0 = no check
  bool propagationTimeoutSet = false;
  std::vector<NameServer> resolvers;  // "" = /etc/resolv.conf
  std::string overrideDomain;         // dns_challenge_override_domain
};

struct DnsSettingsError : std::invalid_argument {
  DnsSettingsError(std::string where, const std::string& message)
      : std::invalid_argument(message), path(std::move(where)) {}
  std::string path;  // JSON path below challenges.dns, e.g. "provider.key_alg"
};

// Throws DnsSettingsError. Also builds the provider once (without a loop) to check it.
DnsChallengeSettings parseDnsChallenge(const nlohmann::json& dns);

// "{env.NAME}" placeholders (Caddy's runtime form) replaced by the environment's values.
std::string expandEnvPlaceholders(const std::string& text);

}  // namespace gatehouse::acme::dns
