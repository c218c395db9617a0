#include "crypto/jwk.h"

#include <openssl/core_names.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "crypto/base64url.h"

namespace gatehouse::acme {

namespace {
// A big-endian unsigned integer parameter, left-padded to `width` bytes when width > 0
// (EC coordinates must keep their full field size, RFC 7518 section 6.2.1.2).
std::string bnParam(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(key, name, &raw)) {
    throw std::runtime_error(std::string("reading key parameter ") + name + ": " + opensslError());
  }
  BignumPtr bn(raw);
  const int size = width > 0 ? width : BN_num_bytes(bn.get());
  std::string out(static_cast<size_t>(size), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), size) != size) {
    throw std::runtime_error(std::string("encoding key parameter ") + name);
  }
  return out;
}
}  // namespace

nlohmann::json publicJwk(const PrivateKey& key) {
  EVP_PKEY* k = key.get();
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_EC: {
      const int bits = EVP_PKEY_get_bits(k);
      const int width = (bits + 7) / 8;
      const char* crv = bits == 256 ? "P-256" : bits == 384 ? "P-384" : bits == 521 ? "P-521" : nullptr;
      if (crv == nullptr)
        throw std::runtime_error("unsupported EC curve for a JWK");
      return {{"crv", crv},
              {"kty", "EC"},
              {"x", base64url(bnParam(k, OSSL_PKEY_PARAM_EC_PUB_X, width))},
              {"y", base64url(bnParam(k, OSSL_PKEY_PARAM_EC_PUB_Y, width))}};
    }
    case EVP_PKEY_RSA:
      return {{"e", base64url(bnParam(k, OSSL_PKEY_PARAM_RSA_E, 0))},
              {"kty", "RSA"},
              {"n", base64url(bnParam(k, OSSL_PKEY_PARAM_RSA_N, 0))}};
    default:
      throw std::runtime_error("account keys must be EC or RSA");
  }
}

std::string sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string sha256Base64url(std::string_view data) {
  return base64url(sha256(data));
}

// nlohmann::json keeps object members sorted and dump() emits no whitespace: exactly the
// RFC 7638 canonical form for the ASCII member names a JWK has.
std::string jwkThumbprint(const nlohmann::json& jwk) {
  return sha256Base64url(jwk.dump());
}

std::string keyAuthorization(const std::string& token, const PrivateKey& accountKey) {
  return token + "." + jwkThumbprint(publicJwk(accountKey));
}

}  // namespace gatehouse::acme
