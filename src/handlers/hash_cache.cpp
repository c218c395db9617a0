#include "handlers/hash_cache.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>

namespace gatehouse::handlers {

std::string HashCache::keyFor(std::string_view hash, std::string_view salt, std::string_view plaintext) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  // Lengths first, so ("ab","c") and ("a","bc") never share a key.
  const std::array<uint64_t, 3> lengths{hash.size(), salt.size(), plaintext.size()};
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), lengths.data(), sizeof(lengths)) != 1 ||
      EVP_DigestUpdate(ctx.get(), hash.data(), hash.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), salt.data(), salt.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), plaintext.data(), plaintext.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1) {
    return {};  // an empty key is never cached
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), len);
}

std::optional<bool> HashCache::find(const std::string& key) const {
  if (key.empty()) {
    return std::nullopt;
  }
  std::lock_guard lock(mu_);
  auto it = results_.find(key);
  if (it == results_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void HashCache::insert(std::string key, bool matches) {
  if (key.empty()) {
    return;
  }
  std::lock_guard lock(mu_);
  if (results_.contains(key)) {
    return;
  }
  if (results_.size() >= kCapacity) {
    for (size_t n = std::max<size_t>(1, results_.size() / 10); n > 0 && !order_.empty(); --n) {
      results_.erase(order_.front());
      order_.pop_front();
    }
  }
  order_.push_back(key);
  results_.emplace(std::move(key), matches);
}

size_t HashCache::size() const {
  std::lock_guard lock(mu_);
  return results_.size();
}

}  // namespace gatehouse::handlers
