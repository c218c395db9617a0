// The ACME server's JWS checks against the client's signer: ES256, ES384 and RS256
// verify; a changed byte, a key of another type, or an alg the key cannot make do not.
#include <catch2/catch.hpp>

#include "crypto/base64url.h"
#include "crypto/jwk.h"
#include "crypto/jws.h"
#include "server/acme_problem.h"
#include "server/jws_verifier.h"

using namespace gatehouse::acme;
using namespace gatehouse::acme::server;

namespace {

ParsedJws signedBy(const PrivateKey& key, const std::string& payload) {
  nlohmann::json header = {
      {"nonce", "n"}, {"url", "https://ca/acme/local/new-account"}, {"jwk", publicJwk(key)}};
  return parseJws(signJws(key, header, payload).dump());
}

}  // namespace

TEST_CASE("acme server: JWS from the client's signer verifies for each account key type", "[acmeserver]") {
  for (KeyType type : {KeyType::P256, KeyType::P384, KeyType::Rsa2048}) {
    const PrivateKey key = PrivateKey::generate(type);
    const ParsedJws jws = signedBy(key, R"({"termsOfServiceAgreed":true})");
    CHECK(jws.payload == R"({"termsOfServiceAgreed":true})");
    PkeyPtr pub = publicKeyFromJwk(jws.header["jwk"]);
    CHECK(verifyJws(jws, pub.get()));
    // The thumbprint the server computes is the client's.
    CHECK(jwkThumbprint(thumbprintMembers(jws.header["jwk"])) == jwkThumbprint(publicJwk(key)));

    ParsedJws tampered = jws;
    tampered.signingInput.back() ^= 1;
    CHECK_FALSE(verifyJws(tampered, pub.get()));
  }
}

TEST_CASE("acme server: a signature does not verify under another key or type", "[acmeserver]") {
  const PrivateKey ec = PrivateKey::generate(KeyType::P256);
  const PrivateKey other = PrivateKey::generate(KeyType::P256);
  const PrivateKey rsa = PrivateKey::generate(KeyType::Rsa2048);
  const ParsedJws jws = signedBy(ec, "");
  CHECK_FALSE(verifyJws(jws, publicKeyFromJwk(publicJwk(other)).get()));
  CHECK_FALSE(verifyJws(jws, publicKeyFromJwk(publicJwk(rsa)).get()));
  ParsedJws relabelled = jws;
  relabelled.header["alg"] = "RS256";
  CHECK_FALSE(verifyJws(relabelled, publicKeyFromJwk(publicJwk(ec)).get()));
}

TEST_CASE("acme server: malformed JWS and keys are problems, not crashes", "[acmeserver]") {
  auto typeOf = [](auto&& fn) {
    try {
      fn();
    } catch (const AcmeProblem& p) {
      return p.type();
    }
    return std::string("none");
  };
  CHECK(typeOf([] { parseJws("not json"); }) == "malformed");
  CHECK(typeOf([] { parseJws(R"({"protected":"!!","payload":"","signature":""})"); }) == "malformed");
  CHECK(typeOf([] { parseJws(R"({"payload":"","signature":""})"); }) == "malformed");
  const std::string none = base64url(R"({"alg":"none"})");
  CHECK(typeOf([&] { parseJws(R"({"protected":")" + none + R"(","payload":"","signature":""})"); }) ==
        "badSignatureAlgorithm");
  const std::string hs = base64url(R"({"alg":"HS256"})");
  CHECK(typeOf([&] { parseJws(R"({"protected":")" + hs + R"(","payload":"","signature":""})"); }) ==
        "badSignatureAlgorithm");
  CHECK(typeOf([] { publicKeyFromJwk(nlohmann::json{{"kty", "oct"}}); }) == "badPublicKey");
  CHECK(typeOf([] {
          publicKeyFromJwk(nlohmann::json{{"kty", "EC"},
                                          {"crv", "P-256"},
                                          {"x", base64url(std::string(32, 'a'))},
                                          {"y", base64url(std::string(32, 'b'))}});
        }) == "badPublicKey");  // not a point on the curve
  CHECK(typeOf([] {
          publicKeyFromJwk(
              nlohmann::json{{"kty", "RSA"}, {"n", base64url(std::string(64, 'a'))}, {"e", "AQAB"}});
        }) == "badPublicKey");  // 512 bits
}
