#pragma once
// Caddy's automatic HTTPS, applied to the http app at provision time (Caddy:
// modules/caddyhttp/autohttps.go): decides which servers serve TLS, adds the HTTP->HTTPS
// redirects, and names every host that needs a managed certificate (obtained by the
// certificate manager, see managed_certificates.h).

#include <string>
#include <utility>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "provision/tls_provision.h"

namespace gatehouse::provision {

struct AutoHttpsPlan {
  // The servers to provision, in order: TLS policies filled in where automatic HTTPS
  // enables TLS, redirect routes appended, and "remaining_auto_https_redirects" last when
  // no configured server listens where the redirects go.
  std::vector<std::pair<std::string, config::Server>> servers;
  // Names that need a managed certificate: lower-case, in first-seen order, no duplicates.
  std::vector<std::string> managedNames;
};

// Refuses what automation policies ask that is not implemented (on-demand TLS, certificate
// managers, policy options), with its path.
void checkAutomationPolicies(const TlsAppRuntime& tls);

AutoHttpsPlan planAutomaticHttps(const config::HttpApp& app, const TlsAppRuntime& tls);

uint16_t httpPort(const config::HttpApp& app);
uint16_t httpsPort(const config::HttpApp& app);

}  // namespace gatehouse::provision
