#pragma once
// The {http.request.tls.client.*} fields Caddy 2.6.2 derives from the certificate on
// demand (its public key, DER, and subject alternative names), read here from the PEM the
// connection kept, so that a request pays for parsing only when a placeholder asks.

#include <string>
#include <string_view>

namespace gatehouse::tls {

// `field` is lower-case and without "client.": public_key, public_key_sha256,
// certificate_der_base64, san.dns_names, san.emails, san.ips, san.uris (a whole list as Go
// prints a slice, "[a b]", or one element with ".N"). False for a field Caddy does not know.
bool clientCertField(std::string_view field, const std::string& pem, std::string& out);

}  // namespace gatehouse::tls
