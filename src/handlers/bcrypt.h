#pragma once
// bcrypt through libcrypt (libxcrypt): the only password hash the http_basic provider and
// `hash-password` support, as in Caddy ($2a$, $2b$ and $2y$ hashes).

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::handlers {

// Caddy's hash-password cost (bcrypt.DefaultCost is 10; Caddy uses 14).
inline constexpr int kBcryptDefaultCost = 14;

// A well-formed bcrypt hash: "$2a$" / "$2b$" / "$2y$", a two-digit cost 4..31, then 53
// characters of bcrypt's base64 (22 of salt, 31 of digest).
bool isBcryptHash(std::string_view hash);
// The cost of a well-formed hash.
int bcryptCost(std::string_view hash);

// Hashes `plaintext` and compares with `hash` in constant time. nullopt when libcrypt
// refuses the hash (a technical error, not a mismatch).
std::optional<bool> bcryptMatches(std::string_view hash, std::string_view plaintext);

// A new "$2a$" hash of `plaintext` with a random salt; throws std::runtime_error when
// libcrypt fails (no randomness, invalid cost).
std::string bcryptHash(std::string_view plaintext, int cost);

}  // namespace gatehouse::handlers
