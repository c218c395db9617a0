#include "handlers/scrypt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdint>
#include <vector>

namespace gatehouse::handlers {

namespace {

// scrypt needs 128 * r * (N + p + 2) bytes; OpenSSL refuses more than maxmem, so it is
// set to what these parameters need (Go's implementation has no such limit).
uint64_t memoryFor(const ScryptParams& p) {
  return 128 * p.r * (p.n + p.p + 2);
}

}  // namespace

bool scryptParamsValid(const ScryptParams& p) {
  if (p.n < 2 || (p.n & (p.n - 1)) != 0 || p.r == 0 || p.p == 0 || p.keyLength == 0 || p.keyLength > 1024) {
    return false;
  }
  // 1 GiB is far beyond what a password check should take; refuse rather than thrash.
  if (p.r > (1u << 20) || p.n > (1u << 24) || memoryFor(p) > (1ull << 30)) {
    return false;
  }
  return EVP_PBE_scrypt(nullptr, 0, nullptr, 0, p.n, p.r, p.p, memoryFor(p), nullptr, 0) == 1;
}

std::optional<bool> scryptMatches(std::string_view hash, std::string_view salt, std::string_view plaintext,
                                  const ScryptParams& params) {
  std::vector<unsigned char> key(params.keyLength);
  if (EVP_PBE_scrypt(plaintext.data(), plaintext.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), params.n, params.r, params.p, memoryFor(params), key.data(),
                     key.size()) != 1) {
    return std::nullopt;
  }
  // Go's subtle.ConstantTimeCompare: different lengths never match.
  return hash.size() == key.size() && CRYPTO_memcmp(hash.data(), key.data(), key.size()) == 0;
}

}  // namespace gatehouse::handlers
