#pragma once
// Caddy's key order for the config parts the site graph keeps as plain JSON (logging, TLS
// connection policies, server log options, issuers). Go prints a struct's fields in declaration
// order, a map's keys sorted, and a module (built by unmarshalling into a map and marshalling
// again) with every key sorted; these put a value's keys the way `caddy adapt` prints them.

#include "gatehouse/config/site_graph.h"

namespace gatehouse::config {

// The top-level "logging" object: sink, logs (a map); each log's writer and encoder are modules.
Json loggingInCaddyOrder(const Json& logging);
// A server's "tls_connection_policies" array.
Json connectionPoliciesInCaddyOrder(const Json& policies);
// A server's "logs" object.
Json serverLogsInCaddyOrder(const Json& logs);

// The "tls" app as printed from the graph: struct order, the global "dns" provider a module.
Json tlsAppInCaddyOrder(const Json& tls);
// The "pki" app: certificate_authorities is a map of CA structs.
Json pkiAppInCaddyOrder(const Json& pki);
// A server's options that follow "logs", in Caddy's field order.
inline constexpr const char* kServerTailKeys[] = {"protocols", "listen_protocols", "metrics", "allow_0rtt"};

}  // namespace gatehouse::config
