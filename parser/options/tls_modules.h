#pragma once
// Caddyfile parsers of the TLS-related modules that the `tls` directive and the global
// options share: certificate issuers (tls.issuance.*), DNS providers (dns.providers.*),
// certificate managers (tls.get_certificate.*) and chain preferences. Each returns the
// module's Caddy JSON.

#include <string>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/dispenser.h"

namespace gatehouse::parser::options {

using config::Json;

// With the cursor on the provider name: parses its arguments and block and returns
// {"name": <provider>, ...fields}. Built in: mock (tests), cloudflare, rfc2136, alidns,
// route53, duckdns, digitalocean, hetzner, porkbun, desec, acmedns, exec.
Json parseDnsProvider(Dispenser& d);

// With the cursor on the issuer module name (acme, internal, zerossl): parses its arguments
// and block and returns {"module": <name>, ...fields}.
Json parseIssuer(Dispenser& d);

// With the cursor on the manager module name (http, tailscale): {"via": <name>, ...}.
Json parseCertManager(Dispenser& d);

// With the cursor on `preferred_chains` (or its option name): [smallest] { root_common_name
// ... | any_common_name ... }.
Json parseChainPreference(Dispenser& d);

// Issuer JSON helpers.
Json acmeIssuer();                              // {"module": "acme"}
Json defaultIssuers(const std::string& email);  // acme, plus ZeroSSL's ACME when email is set
constexpr const char* kZeroSslAcmeDirectory = "https://acme.zerossl.com/v2/DV90";

}  // namespace gatehouse::parser::options
