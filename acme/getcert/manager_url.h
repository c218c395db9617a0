#pragma once
// The URL Caddy's tls.get_certificate.http asks: the configured URL with the handshake's
// server_name, signature_schemes and cipher_suites set in its query, the whole query
// re-encoded as Go's url.Values.Encode does (keys sorted, values escaped, "," as %2C).

#include <string>

#include "gatehouse/tls/certificate_managers.h"

namespace gatehouse::acme {

std::string managerUrl(const std::string& configured, const tls::ManagerQuery& query);

// The URL as error messages show it: no user info, query or fragment (they may carry secrets).
std::string redactedUrl(const std::string& url);

}  // namespace gatehouse::acme
