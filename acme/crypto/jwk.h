#pragma once
// JSON Web Keys (RFC 7517) of account keys, their RFC 7638 thumbprints and ACME key
// authorizations (RFC 8555 section 8.1).

#include <nlohmann/json.hpp>
#include <string>

#include "crypto/private_key.h"

namespace gatehouse::acme {

// The public JWK holding only the members RFC 7638 requires (so it is also the thumbprint
// input). Throws std::runtime_error for key types ACME accounts cannot use (ed25519).
nlohmann::json publicJwk(const PrivateKey& key);
// base64url(SHA-256(canonical JWK)): members in lexicographic order, no whitespace.
std::string jwkThumbprint(const nlohmann::json& jwk);
// token "." thumbprint
std::string keyAuthorization(const std::string& token, const PrivateKey& accountKey);
// base64url(SHA-256(data))
std::string sha256Base64url(std::string_view data);
std::string sha256(std::string_view data);

}  // namespace gatehouse::acme
