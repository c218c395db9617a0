#pragma once
// Caddy's automatic HTTPS, applied to the http app at provision time (Caddy:
// modules/caddyhttp/autohttps.go): decides which servers serve TLS, adds the HTTP->HTTPS
// redirects, and names every host that needs a managed certificate: ACME names for the
// certificate manager (managed_certificates.h), internal-issuer names for the local CA.

#include <string>
#include <utility>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "provision/tls_provision.h"

namespace gatehouse::provision {

// A name automatic HTTPS gives to the internal issuer, with the issuer's object and path.
struct InternalIssuerChoice {
  std::string name;
  config::Json issuer;
  std::string path;
  double renewalWindowRatio = 1.0 / 3;  // the policy's renewal_window_ratio
};

struct AutoHttpsPlan {
  // The servers to provision, in order: TLS policies filled in where automatic HTTPS
  // enables TLS, redirect routes appended, and "remaining_auto_https_redirects" last when
  // no configured server listens where the redirects go.
  std::vector<std::pair<std::string, config::Server>> servers;
  // Names that need an ACME certificate: lower-case, in first-seen order, no duplicates.
  std::vector<std::string> managedNames;
  // Names whose certificates the internal issuer provides (the local CA).
  std::vector<InternalIssuerChoice> internal;
};

// Refuses the automation policy options that are not implemented, with their path
// (certificate managers are checked by cert_managers_provision.h).
void checkAutomationPolicies(const TlsAppRuntime& tls);

AutoHttpsPlan planAutomaticHttps(const config::HttpApp& app, const TlsAppRuntime& tls);

uint16_t httpPort(const config::HttpApp& app);
uint16_t httpsPort(const config::HttpApp& app);

}  // namespace gatehouse::provision
