#pragma once
// What `gatehouse run` asks the certificate manager to keep: the names automatic HTTPS
// found, each with the ACME issuer its automation policy chose, and where certificates
// are stored (certmagic's file layout, shared with Caddy).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/private_key.h"
#include "dns/dns_challenge_settings.h"
#include "internal/certificate_issuer.h"
#include "log/acme_log.h"
#include "manager/on_demand_config.h"
#include "protocol/acme_account.h"
#include "protocol/acme_order.h"
#include "solvers/challenge_address.h"

namespace gatehouse::acme {

struct AcmeIssuerSettings {
  std::string ca;  // the directory URL; "internal:<ca id>" for a local issuer
  // Set: a local issuer (`issuer internal` listed after an ACME one) signs instead of a CA.
  std::shared_ptr<CertificateIssuer> local;
  std::string email;
  std::string caRoot;  // PEM file trusted for the CA's HTTPS ("" = system roots)
  std::optional<ExternalAccountBinding> eab;
  PreferredChains preferredChains;
  std::string profile;  // ACME profile asked for in newOrder ("" = the CA's default)
  // zerossl issuer: EAB credentials are fetched from ZeroSSL's API with this key (or, without
  // one, with the email) when a new account is made and no `eab` is given.
  bool zeroSsl = false;
  std::string zeroSslApiKey;
  std::string zeroSslApiBase = "https://api.zerossl.com/acme";
  bool http01 = true;     // served by the engine's http_port listener
  bool tlsAlpn01 = true;  // served by the engine's acme-tls/1 hook on https_port
  // Set when no server of ours listens on the challenge's port (alternate_port, else
  // http_port / https_port): a listener of the manager's own answers there instead.
  std::optional<ChallengeAddress> http01Standalone;
  std::optional<ChallengeAddress> tlsAlpn01Standalone;
  // challenges.dns: when set, DNS-01 is the only challenge used (as certmagic does).
  std::optional<dns::DnsChallengeSettings> dns;
};

struct ManagedCertificate {
  std::string name;   // lower-case, one name per certificate (as Caddy)
  size_t issuer = 0;  // index into ManagerConfig::issuers: the first one tried
  KeyType keyType = KeyType::P256;
  // Tried in order after `issuer` fails in the same attempt (the policy's issuer list).
  std::vector<size_t> fallbackIssuers;
  double renewalWindowRatio = 1.0 / 3;  // renew when this fraction of the lifetime is left
  bool ocspStapling = true;             // false: the policy's disable_ocsp_stapling
};

struct ManagerConfig {
  std::string storageRoot;  // "" = FileStorage::defaultRoot()
  std::vector<AcmeIssuerSettings> issuers;
  std::vector<ManagedCertificate> certificates;
  std::optional<OnDemandConfig> onDemand;  // set when an automation policy is on-demand
  // renew_interval: how often each certificate is looked at again (ARI window, storage
  // changed by another process, clock jumps) between the timers its renewal time sets.
  std::chrono::seconds renewInterval{600};
  // ocsp_interval: how long a failed OCSP fetch waits before the next try (certmagic's
  // check interval).
  std::chrono::seconds ocspInterval{3600};  // kDefaultOcspInterval
  AcmeLog::Sink logSink;                    // where log lines go; unset: stderr
};

}  // namespace gatehouse::acme
