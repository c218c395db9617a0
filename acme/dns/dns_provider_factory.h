#pragma once
// Builds the DNS provider a config names: rfc2136, cloudflare, alidns, route53, duckdns,
// digitalocean, hetzner, porkbun, desec, acmedns, exec.

#include <uv.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "dns/dns_provider.h"

namespace gatehouse::acme::dns {

// `provider` is {"name": ..., fields...} as the caddy-dns plugins serialize it. Throws
// std::invalid_argument (naming the field, never a secret). `loop` may be null to only
// check the config; the provider is then not used.
std::unique_ptr<DnsProvider> makeDnsProvider(uv_loop_t* loop, const nlohmann::json& provider);

}  // namespace gatehouse::acme::dns
