#pragma once
// An in-memory mark on an automation policy (a key of AutomationPolicy::extra that is never
// printed nor read from JSON): the Caddyfile adapter sets it on the catch-all policy it makes
// only because newer Caddy puts global ACME options there. Caddy 2.6.2 made no such policy,
// so its issuers are provisioned once a name uses them, never eagerly at start-up (a missing
// `acme_ca_root` file then stops nothing while every site is internal, as with 2.6.2).
// Kept out of site_graph.h's struct so that the mark does not rebuild its ~250 includers.

namespace gatehouse::config {

inline constexpr const char* kProvisionWhenUsed = "gatehouse.provision_when_used";

}  // namespace gatehouse::config
