#pragma once
// Caddy's automatic HTTPS, applied to the http app at provision time (Caddy:
// modules/caddyhttp/autohttps.go): decides which servers serve TLS, adds the HTTP->HTTPS
// redirects, and names every host that needs a managed certificate. Certificates can
// only come from the config here (no ACME, no internal CA yet), so a name that needs one
// stops start-up with a message saying so instead of being served without TLS.

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
};

// Automation policies name certificates to manage; none can be issued here yet, so any
// policy that names subjects (or asks for on-demand TLS) is refused with its path.
void checkAutomationPolicies(const TlsAppRuntime& tls);

AutoHttpsPlan planAutomaticHttps(const config::HttpApp& app, const TlsAppRuntime& tls);

uint16_t httpPort(const config::HttpApp& app);
uint16_t httpsPort(const config::HttpApp& app);

}  // namespace gatehouse::provision
