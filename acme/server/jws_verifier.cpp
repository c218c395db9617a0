#include "server/jws_verifier.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <array>
#include <memory>

#include "crypto/base64url.h"
#include "server/acme_problem.h"

namespace gatehouse::acme::server {

namespace {

using Json = nlohmann::json;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;

std::string decodeField(const Json& obj, const char* key, bool required) {
  if (!obj.contains(key)) {
    if (required) {
      throw malformed(std::string("JWS is missing \"") + key + "\"");
    }
    return {};
  }
  if (!obj[key].is_string()) {
    throw malformed(std::string("JWS \"") + key + "\" is not a string");
  }
  auto decoded = base64urlDecode(obj[key].get<std::string>());
  if (!decoded) {
    throw malformed(std::string("JWS \"") + key + "\" is not base64url");
  }
  return *decoded;
}

std::string jwkBytes(const Json& jwk, const char* key) {
  if (!jwk.contains(key) || !jwk[key].is_string()) {
    throw malformed(std::string("JWK is missing \"") + key + "\"");
  }
  auto bytes = base64urlDecode(jwk[key].get<std::string>());
  if (!bytes || bytes->empty()) {
    throw malformed(std::string("JWK \"") + key + "\" is not base64url");
  }
  return *bytes;
}

PkeyPtr buildKey(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    throw AcmeProblem("badPublicKey", "JWK is not a valid public key", 400);
  }
  return PkeyPtr(raw);
}

PkeyPtr ecKey(const Json& jwk) {
  const std::string crv = jwk.value("crv", "");
  const char* group = crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : nullptr;
  const size_t size = crv == "P-256" ? 32 : 48;
  if (group == nullptr) {
    throw AcmeProblem("badPublicKey", "unsupported EC curve \"" + crv + "\"", 400);
  }
  const std::string x = jwkBytes(jwk, "x");
  const std::string y = jwkBytes(jwk, "y");
  if (x.size() != size || y.size() != size) {
    throw AcmeProblem("badPublicKey", "EC JWK coordinates have the wrong size", 400);
  }
  const std::string point = std::string(1, '\x04') + x + y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    throw AcmeProblem("serverInternal", "building an EC key failed", 500);
  }
  PkeyPtr key = buildKey("EC", bld.get());
  // fromdata does not check that the point lies on the curve.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    throw AcmeProblem("badPublicKey", "EC JWK point is not on the curve", 400);
  }
  return key;
}

PkeyPtr rsaKey(const Json& jwk) {
  const std::string n = jwkBytes(jwk, "n");
  const std::string e = jwkBytes(jwk, "e");
  if (n.size() < 256) {
    throw AcmeProblem("badPublicKey", "RSA keys must have at least 2048 bits", 400);
  }
  BignumPtr bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
  BignumPtr be(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn || !be || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    throw AcmeProblem("serverInternal", "building an RSA key failed", 500);
  }
  return buildKey("RSA", bld.get());
}

// r||s (RFC 7518 section 3.4) -> DER ECDSA-Sig-Value, as OpenSSL verifies it.
std::string ecdsaDer(const std::string& raw) {
  const int half = static_cast<int>(raw.size() / 2);
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(p, half, nullptr);
  BIGNUM* s = BN_bin2bn(p + half, half, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) {
    return {};
  }
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

ParsedJws parseJws(std::string_view body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw malformed("request body is not a JSON object");
  }
  if (j.contains("signatures") || j.contains("header")) {
    throw malformed("only the flattened JWS serialization with a protected header is accepted");
  }
  ParsedJws out;
  const std::string header = decodeField(j, "protected", true);
  out.payload = decodeField(j, "payload", true);
  out.signature = decodeField(j, "signature", true);
  out.header = Json::parse(header, nullptr, false);
  if (out.header.is_discarded() || !out.header.is_object()) {
    throw malformed("JWS protected header is not a JSON object");
  }
  out.signingInput = j["protected"].get<std::string>() + "." + j["payload"].get<std::string>();
  const Json alg = out.header.value("alg", Json());
  if (!alg.is_string() || (alg != "ES256" && alg != "ES384" && alg != "RS256")) {
    throw AcmeProblem("badSignatureAlgorithm",
                      "unsupported JWS algorithm " + alg.dump() + "; ES256, ES384 and RS256 are accepted",
                      400);
  }
  return out;
}

PkeyPtr publicKeyFromJwk(const Json& jwk) {
  if (!jwk.is_object()) {
    throw malformed("JWK is not an object");
  }
  const std::string kty = jwk.value("kty", "");
  if (kty == "EC") {
    return ecKey(jwk);
  }
  if (kty == "RSA") {
    return rsaKey(jwk);
  }
  throw AcmeProblem("badPublicKey", "unsupported JWK key type \"" + kty + "\"", 400);
}

Json thumbprintMembers(const Json& jwk) {
  static constexpr std::array<const char*, 4> kEc = {"crv", "kty", "x", "y"};
  static constexpr std::array<const char*, 4> kRsa = {"e", "kty", "n", "n"};
  const bool ec = jwk.value("kty", "") == "EC";
  Json out = Json::object();
  for (const char* k : ec ? kEc : kRsa) {
    if (jwk.contains(k)) {
      out[k] = jwk[k];
    }
  }
  return out;
}

bool verifyJws(const ParsedJws& jws, EVP_PKEY* key) {
  const std::string alg = jws.header.value("alg", "");
  const int type = EVP_PKEY_get_base_id(key);
  std::string sig = jws.signature;
  const EVP_MD* md = EVP_sha256();
  if (alg == "ES256" || alg == "ES384") {
    const size_t want = alg == "ES256" ? 64 : 96;
    if (type != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != static_cast<int>(want * 4) || sig.size() != want) {
      return false;
    }
    md = alg == "ES256" ? EVP_sha256() : EVP_sha384();
    sig = ecdsaDer(sig);
  } else if (alg != "RS256" || type != EVP_PKEY_RSA) {
    return false;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || sig.empty() || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(jws.signingInput.data()),
                          jws.signingInput.size()) == 1;
}

}  // namespace gatehouse::acme::server
