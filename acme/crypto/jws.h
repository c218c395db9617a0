#pragma once
// JWS in the flattened JSON serialization (RFC 7515 section 7.2.2), as ACME requests use it.

#include <nlohmann/json.hpp>
#include <string>

#include "crypto/private_key.h"

namespace gatehouse::acme {

// "ES256" for P-256, "ES384" for P-384, "RS256" for RSA. Throws for other keys.
std::string jwsAlgorithm(const PrivateKey& key);

// Signs `payload` (already serialized; "" means POST-as-GET) under `protectedHeader`, to
// which "alg" is added. Returns {"protected","payload","signature"}.
nlohmann::json signJws(const PrivateKey& key, nlohmann::json protectedHeader, const std::string& payload);

// HS256 JWS for External Account Binding (RFC 8555 section 7.3.4): the account's JWK
// signed with the CA-issued MAC key.
nlohmann::json signEab(const std::string& keyId, const std::string& macKey, const std::string& url,
                       const nlohmann::json& accountJwk);

// The raw JWS signature: for ECDSA, r||s each padded to the curve size (RFC 7518 3.4),
// converted from OpenSSL's DER ECDSA-Sig-Value.
std::string jwsSign(const PrivateKey& key, std::string_view signingInput);

}  // namespace gatehouse::acme
