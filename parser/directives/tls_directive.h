#pragma once
// The `tls` directive's pieces, shared between its files.

#include "gatehouse/parser/helper.h"

namespace gatehouse::parser::tls {

// tls [<email>|internal|force_automate]|[<cert_file> <key_file>] { ... } (tls.cpp)
std::vector<ConfigValue> parseTls(Helper& h);

// client_auth { mode ...; trust_pool <module> ...; trusted_ca_cert[_file] ...;
// trusted_leaf_cert[_file] ...; verifier <module> ... } with the cursor on `client_auth`
// (tls_client_auth.cpp). Returns Caddy's ClientAuthentication JSON.
Json parseClientAuth(Dispenser& d);

// Merges ACME issuer JSON `overrides` onto `base` the way Caddy layers a site's implicit ACME
// settings over a global template: set fields win, trusted roots accumulate, challenge
// settings merge field by field (tls_issuer_merge.cpp).
Json mergeAcmeIssuers(const Json& base, const Json& overrides);

}  // namespace gatehouse::parser::tls
