#pragma once
// The server half of ACME's JWS (RFC 8555 section 6.2, RFC 7515 flattened serialization):
// parse a request body, turn a JWK into a public key, and check a signature. ES256,
// ES384 and RS256 are accepted, the algorithms the project's client (and certmagic) sign
// with; anything else is badSignatureAlgorithm.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crypto/ossl_handles.h"

namespace gatehouse::acme::server {

struct ParsedJws {
  nlohmann::json header;     // the decoded protected header
  std::string payload;       // decoded; "" for POST-as-GET
  std::string signingInput;  // protected "." payload, as received
  std::string signature;     // raw bytes
};

// Throws AcmeProblem (malformed) when `body` is not a flattened JWS with a protected
// header, or when the header's "alg" is not one of the accepted ones
// (badSignatureAlgorithm).
ParsedJws parseJws(std::string_view body);

// A public key from a JWK (EC P-256/P-384, RSA of at least 2048 bits). Throws AcmeProblem
// (badPublicKey / malformed).
PkeyPtr publicKeyFromJwk(const nlohmann::json& jwk);

// The members of a public JWK that RFC 7638 hashes (EC: crv kty x y; RSA: e kty n).
nlohmann::json thumbprintMembers(const nlohmann::json& jwk);

// True when `jws`'s signature verifies under `key` with the header's algorithm, which
// must fit the key type.
bool verifyJws(const ParsedJws& jws, EVP_PKEY* key);

}  // namespace gatehouse::acme::server
