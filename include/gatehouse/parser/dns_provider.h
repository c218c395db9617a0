#pragma once
// The Caddyfile syntax of the caddy-dns provider plugins (rfc2136, cloudflare, alidns,
// route53, duckdns, digitalocean, hetzner, porkbun, desec, acmedns, exec), for the parsers
// outside parser/ that take a provider (`gatehouse certs`).

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/dispenser.h"

namespace gatehouse::parser::options {

// With the cursor on the provider name: parses its arguments and block and returns
// {"name": <provider>, ...fields} as the plugin serializes it.
config::Json parseDnsProvider(Dispenser& d);

}  // namespace gatehouse::parser::options
