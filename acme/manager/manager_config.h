#pragma once
// What `gatehouse run` asks the certificate manager to keep: the names automatic HTTPS
// found, each with the ACME issuer its automation policy chose, and where certificates
// are stored (certmagic's file layout, shared with Caddy).

#include <optional>
#include <string>
#include <vector>

#include "crypto/private_key.h"
#include "dns/dns_challenge_settings.h"
#include "manager/on_demand_config.h"
#include "protocol/acme_account.h"
#include "protocol/acme_order.h"

namespace gatehouse::acme {

struct AcmeIssuerSettings {
  std::string ca;
  std::string email;
  std::string caRoot;  // PEM file trusted for the CA's HTTPS ("" = system roots)
  std::optional<ExternalAccountBinding> eab;
  PreferredChains preferredChains;
  bool http01 = true;     // served by the engine's http_port listener
  bool tlsAlpn01 = true;  // served by the engine's acme-tls/1 hook on https_port
  // challenges.dns: when set, DNS-01 is the only challenge used (as certmagic does).
  std::optional<dns::DnsChallengeSettings> dns;
};

struct ManagedCertificate {
  std::string name;   // lower-case, one name per certificate (as Caddy)
  size_t issuer = 0;  // index into ManagerConfig::issuers
  KeyType keyType = KeyType::P256;
};

struct ManagerConfig {
  std::string storageRoot;  // "" = FileStorage::defaultRoot()
  std::vector<AcmeIssuerSettings> issuers;
  std::vector<ManagedCertificate> certificates;
  std::optional<OnDemandConfig> onDemand;  // set when an automation policy is on-demand
};

}  // namespace gatehouse::acme
