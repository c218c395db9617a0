#pragma once
// Caddy's automatic HTTPS, applied to the http app at provision time (Caddy:
// modules/caddyhttp/autohttps.go): decides which servers serve TLS, adds the HTTP->HTTPS
// redirects, and names every host that needs a managed certificate. Names for the internal
// issuer are returned in the plan; a name that needs ACME stops start-up with a message
// saying so instead of being served without TLS.

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
};

struct AutoHttpsPlan {
  // The servers to provision, in order: TLS policies filled in where automatic HTTPS
  // enables TLS, redirect routes appended, and "remaining_auto_https_redirects" last when
  // no configured server listens where the redirects go.
  std::vector<std::pair<std::string, config::Server>> servers;
  // Names whose certificates the internal issuer provides (the local CA).
  std::vector<InternalIssuerChoice> internal;
};

// Automation policies name certificates to manage; only the internal issuer is available
// here, so a policy with other issuers that names subjects (or asks for on-demand TLS) is
// refused with its path.
void checkAutomationPolicies(const TlsAppRuntime& tls);

AutoHttpsPlan planAutomaticHttps(const config::HttpApp& app, const TlsAppRuntime& tls);

uint16_t httpPort(const config::HttpApp& app);
uint16_t httpsPort(const config::HttpApp& app);

}  // namespace gatehouse::provision
