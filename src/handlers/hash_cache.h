#pragma once
// Remembers recent password checks (Caddy's http_basic `hash_cache`), so a client that sends
// the same credentials on every request pays for bcrypt once. Shared by every worker: bcrypt
// costs ~100 ms to 1 s, a lookup a few microseconds under the lock.
// Keys are SHA-256 digests of (hash, salt, plaintext), never the plaintext itself.

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gatehouse::handlers {

class HashCache {
 public:
  // Caddy keeps at most 1000 results and, when full, drops a tenth of them at once.
  static constexpr size_t kCapacity = 1000;

  static std::string keyFor(std::string_view hash, std::string_view salt, std::string_view plaintext);
  [[nodiscard]] std::optional<bool> find(const std::string& key) const;
  void insert(std::string key, bool matches);
  [[nodiscard]] size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, bool> results_;
  std::deque<std::string> order_;  // insertion order: the oldest tenth goes first
};

}  // namespace gatehouse::handlers
