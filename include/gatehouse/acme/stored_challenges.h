#pragma once
// certmagic's distributed challenge solving, the reading half: a challenge another server
// sharing the storage presented (a Caddy, or a load-balanced peer of ours) sits at
// acme/<issuer>/challenge_tokens/<safe name>.json as acmez's acme.Challenge JSON; when the
// CA's validation request for that name reaches us instead, we answer from it. As
// certmagic 0.17 (Caddy 2.6.2), every issuer of the config is tried in turn.
//
// load() reads files: it blocks, so it runs on libuv's thread pool, never on a loop.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::acme {

// The fields of acme.Challenge the answer needs.
struct StoredChallenge {
  std::string type;  // "http-01", "tls-alpn-01" (certmagic does not check it)
  std::string token;
  std::string keyAuthorization;
  std::string identifier;  // identifier.value
};

class StoredChallenges {
 public:
  // A challenge file is a few hundred bytes; anything larger is not one.
  static constexpr size_t kMaxBytes = 64 * 1024;

  StoredChallenges(std::string storageRoot, std::vector<std::string> issuerKeys);

  // The challenge stored for `identifier` under the first issuer that has one; nullopt
  // when none has (or the file is unreadable, oversized or not a challenge). Blocking.
  [[nodiscard]] std::optional<StoredChallenge> load(std::string_view identifier) const;

  // acme.Challenge JSON -> the fields above; nullopt when malformed or incomplete.
  static std::optional<StoredChallenge> parse(std::string_view json);
  // acme/<issuer>/challenge_tokens/<safe name>.json (certmagic's challengeTokensKey).
  static std::string key(const std::string& issuerKey, std::string_view identifier);

  [[nodiscard]] const std::vector<std::string>& issuerKeys() const { return issuerKeys_; }

 private:
  std::string root_;
  std::vector<std::string> issuerKeys_;
};

}  // namespace gatehouse::acme
