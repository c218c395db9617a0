#include "tls/tls13_alert.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace gatehouse::tls {

namespace {

struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

constexpr uint8_t kApplicationData = 23;
constexpr uint8_t kAlert = 21;
constexpr size_t kTagLen = 16;
constexpr size_t kIvLen = 12;

// RFC 8446 section 7.1: HKDF-Expand-Label(secret, label, "", length).
bool expandLabel(const char* digest, std::string_view secret, std::string_view label, unsigned char* out,
                 size_t length) {
  std::string info;
  info += static_cast<char>(length >> 8);
  info += static_cast<char>(length & 0xff);
  const std::string full = "tls13 " + std::string(label);
  info += static_cast<char>(full.size());
  info += full;
  info += '\0';  // empty context
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  if (!ctx) {
    return false;
  }
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  return EVP_KDF_derive(ctx.get(), out, length, params) == 1;
}

struct Suite {
  const EVP_CIPHER* aead = nullptr;
  const char* digest = nullptr;
  size_t keyLen = 0;
};

Suite suiteOf(const SSL_CIPHER* c) {
  switch (c == nullptr ? 0 : SSL_CIPHER_get_protocol_id(c)) {
    case 0x1301:
      return {EVP_aes_128_gcm(), "SHA256", 16};
    case 0x1302:
      return {EVP_aes_256_gcm(), "SHA384", 32};
    case 0x1303:
      return {EVP_chacha20_poly1305(), "SHA256", 32};
    default:
      return {};
  }
}

}  // namespace

std::string tls13HandshakeAlertRecord(const SSL_CIPHER* suiteCipher, std::string_view secret, uint8_t alert) {
  const Suite suite = suiteOf(suiteCipher);
  unsigned char key[32];
  unsigned char iv[kIvLen];  // sequence number 0: the nonce is the IV itself
  if (suite.aead == nullptr || !expandLabel(suite.digest, secret, "key", key, suite.keyLen) ||
      !expandLabel(suite.digest, secret, "iv", iv, kIvLen)) {
    ERR_clear_error();
    return "";
  }
  const unsigned char inner[] = {2 /* fatal */, alert, kAlert};  // TLSInnerPlaintext
  const size_t length = sizeof(inner) + kTagLen;
  std::string record = {static_cast<char>(kApplicationData), 3, 3, static_cast<char>(length >> 8),
                        static_cast<char>(length & 0xff)};
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  unsigned char body[sizeof(inner) + kTagLen];
  int n = 0;
  int tail = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), suite.aead, nullptr, key, iv) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(record.data()),
                        static_cast<int>(record.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), body, &n, inner, sizeof(inner)) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), body + n, &tail) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagLen, body + sizeof(inner)) == 1;
  OPENSSL_cleanse(key, sizeof(key));
  if (!ok) {
    ERR_clear_error();
    return "";
  }
  record.append(reinterpret_cast<const char*>(body), sizeof(body));
  return record;
}

size_t clearRecordsEnd(std::string_view flight) {
  size_t at = 0;
  while (at + 5 <= flight.size() && static_cast<uint8_t>(flight[at]) != kApplicationData) {
    const size_t len = (static_cast<size_t>(static_cast<uint8_t>(flight[at + 3])) << 8) |
                       static_cast<uint8_t>(flight[at + 4]);
    at += 5 + len;
  }
  return std::min(at, flight.size());
}

}  // namespace gatehouse::tls
