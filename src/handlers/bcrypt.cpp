#include "handlers/bcrypt.h"

#include <crypt.h>

#include <memory>
#include <stdexcept>

namespace gatehouse::handlers {

namespace {

bool isBcryptBase64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

// Equal-length comparison whose time does not depend on where the inputs differ.
bool constantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

bool isBcryptHash(std::string_view hash) {
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') {
    return false;
  }
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') {
    return false;
  }
  const int cost = bcryptCost(hash);
  if (cost < 4 || cost > 31) {
    return false;
  }
  for (size_t i = 7; i < hash.size(); ++i) {
    if (!isBcryptBase64(hash[i])) {
      return false;
    }
  }
  return true;
}

int bcryptCost(std::string_view hash) {
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

std::optional<bool> bcryptMatches(std::string_view hash, std::string_view plaintext) {
  // crypt() stops at a NUL, so "pass\0word" would verify as "pass": refuse such input.
  if (plaintext.find('\0') != std::string_view::npos) {
    return false;
  }
  // bcrypt reads at most 72 bytes of the password, as Go's x/crypto/bcrypt (which then
  // refuses longer ones when hashing, but compares the prefix when verifying).
  const std::string pass(plaintext);
  const std::string setting(hash);
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(pass.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') {
    return std::nullopt;
  }
  return constantTimeEqual(out, hash);
}

std::string bcryptHash(std::string_view plaintext, int cost) {
  if (plaintext.find('\0') != std::string_view::npos) {
    throw std::runtime_error("the password contains a NUL byte");
  }
  if (plaintext.size() > 72) {
    // Go's bcrypt refuses these (ErrPasswordTooLong) rather than silently truncating.
    throw std::runtime_error("the password is longer than 72 bytes");
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2a$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof(salt)) == nullptr) {
    throw std::runtime_error("could not generate a bcrypt salt");
  }
  const std::string pass(plaintext);
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(pass.c_str(), salt, data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') {
    throw std::runtime_error("bcrypt hashing failed");
  }
  return out;
}

}  // namespace gatehouse::handlers
