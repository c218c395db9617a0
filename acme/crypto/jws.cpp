#include "crypto/jws.h"

#include <openssl/hmac.h>

#include <stdexcept>

#include "crypto/base64url.h"

namespace gatehouse::acme {

std::string jwsAlgorithm(const PrivateKey& key) {
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_EC:
      return EVP_PKEY_get_bits(key.get()) == 384 ? "ES384" : "ES256";
    case EVP_PKEY_RSA:
      return "RS256";
    default:
      throw std::runtime_error("account keys must be EC or RSA");
  }
}

namespace {
std::string derToRaw(const std::string& der, int width) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig)
    throw std::runtime_error("decoding an ECDSA signature: " + opensslError());
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(static_cast<size_t>(2 * width), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, width) != width || BN_bn2binpad(s, o + width, width) != width) {
    throw std::runtime_error("ECDSA signature does not fit the curve size");
  }
  return out;
}
}  // namespace

std::string jwsSign(const PrivateKey& key, std::string_view signingInput) {
  const bool ec = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC;
  const int bits = EVP_PKEY_get_bits(key.get());
  const EVP_MD* md = ec && bits == 384 ? EVP_sha384() : EVP_sha256();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(signingInput.data()),
                     signingInput.size()) != 1) {
    throw std::runtime_error("signing: " + opensslError());
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size()) != 1) {
    throw std::runtime_error("signing: " + opensslError());
  }
  sig.resize(len);
  return ec ? derToRaw(sig, (bits + 7) / 8) : sig;
}

nlohmann::json signJws(const PrivateKey& key, nlohmann::json protectedHeader, const std::string& payload) {
  protectedHeader["alg"] = jwsAlgorithm(key);
  const std::string prot = base64url(protectedHeader.dump());
  const std::string body = payload.empty() ? std::string() : base64url(payload);
  const std::string signature = jwsSign(key, prot + "." + body);
  return {{"protected", prot}, {"payload", body}, {"signature", base64url(signature)}};
}

nlohmann::json signEab(const std::string& keyId, const std::string& macKey, const std::string& url,
                       const nlohmann::json& accountJwk) {
  const auto key = base64urlDecode(macKey);
  if (!key || key->empty())
    throw std::runtime_error("the EAB mac_key is not base64url");
  const nlohmann::json header = {{"alg", "HS256"}, {"kid", keyId}, {"url", url}};
  const std::string input = base64url(header.dump()) + "." + base64url(accountJwk.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLen = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &macLen) == nullptr) {
    throw std::runtime_error("EAB HMAC: " + opensslError());
  }
  return {{"protected", base64url(header.dump())},
          {"payload", base64url(accountJwk.dump())},
          {"signature", base64url(std::string(reinterpret_cast<char*>(mac), macLen))}};
}

}  // namespace gatehouse::acme
