#pragma once
// On-demand TLS at provision: apps.tls.automation.on_demand (Caddy 2.6's `ask` and
// `rate_limit`, newer Caddy's `permission` module "http") and the automation policies with
// `on_demand: true`, turned into the certificate manager's OnDemandConfig. Names under an
// on-demand policy are not ordered at start-up (certmagic defers them to the handshake).

#include <functional>
#include <optional>
#include <string>

#include "gatehouse/config/site_graph.h"
#include "manager/on_demand_config.h"
#include "provision/tls_provision.h"

namespace gatehouse::provision {

struct IssuerChoice;

// Whether the automation policy covering `name` is on-demand.
bool onDemandName(const std::string& name, const TlsAppRuntime& tls);

// The manager's on-demand config, or nothing when no policy is on-demand. `issuerIndex`
// returns the manager's index for the ACME issuer a policy chose (adding it if new).
// Throws ProvisionError for what is not implemented (other issuers, other permission
// modules) and for malformed fields.
std::optional<acme::OnDemandConfig> provisionOnDemand(
    const config::Config& config, const TlsAppRuntime& tls,
    const std::function<size_t(const IssuerChoice&, const std::string& where)>& issuerIndex);

}  // namespace gatehouse::provision
