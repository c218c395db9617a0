#pragma once
// scrypt password checks for the http_basic provider (Caddy 2.6's deprecated `scrypt`
// algorithm): the stored hash is scrypt(password, salt, N, r, p, key_length), both hash and
// salt base64 in the config. Through OpenSSL's EVP_PBE_scrypt.

#include <optional>
#include <string_view>

namespace gatehouse::handlers {

struct ScryptParams {
  // Caddy's defaults (ScryptHash.SetDefaults).
  uint64_t n = 32768;
  uint64_t r = 8;
  uint64_t p = 1;
  size_t keyLength = 32;
};

// Whether OpenSSL accepts these parameters (N a power of two above 1, memory within reach).
bool scryptParamsValid(const ScryptParams& params);

// Derives the key of `plaintext` with `salt` and compares it with `hash` in constant time;
// nullopt when OpenSSL fails (a technical error, not a mismatch).
std::optional<bool> scryptMatches(std::string_view hash, std::string_view salt, std::string_view plaintext,
                                  const ScryptParams& params);

}  // namespace gatehouse::handlers
