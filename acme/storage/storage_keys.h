#pragma once
// Storage key names, identical to certmagic's so that Caddy and Gatehouse share one
// storage: certificates/<issuer>/<name>/<name>.crt|.key|.json and
// acme/<issuer>/users/<email>/<username>.json|.key.

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::acme::storage_keys {

// certmagic's KeyBuilder.Safe: lower-case, trimmed, ' '->'_', '+'->'_plus_',
// '*'->'wildcard_', ':'->'-', ".." removed, then only [A-Za-z0-9_@.-] kept.
std::string safe(std::string_view s);

// The issuer key of an ACME CA: host, plus "-" and the path with '/' turned into '-'
// (https://acme-v02.api.letsencrypt.org/directory -> acme-v02.api.letsencrypt.org-directory).
std::string issuerKey(const std::string& caUrl);

// The storage name of a certificate for several names: sorted, comma-joined (certmagic's
// NamesKey); one name stays itself.
std::string namesKey(std::vector<std::string> names);

std::string certsPrefix(const std::string& issuerKey);
std::string siteCert(const std::string& issuerKey, const std::string& name);
std::string sitePrivateKey(const std::string& issuerKey, const std::string& name);
std::string siteMeta(const std::string& issuerKey, const std::string& name);

std::string accountRegistration(const std::string& issuerKey, const std::string& email);
std::string accountPrivateKey(const std::string& issuerKey, const std::string& email);

// The lock name certmagic uses while obtaining or renewing a certificate ("issue_cert_<name>"),
// so Caddy and Gatehouse sharing a storage never order the same certificate at once.
std::string issueLockName(const std::string& name);

}  // namespace gatehouse::acme::storage_keys
