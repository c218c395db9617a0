#pragma once
// Where certificates, keys, account data and locks live, behind certmagic's Storage
// contract (load, store, delete, exists, list, stat, lock, unlock) so another backend can
// replace the file system later. Keys are '/'-separated paths (see storage_keys.h).

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::acme {

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KeyInfo {
  std::string key;
  std::chrono::system_clock::time_point modified;
  uint64_t size = 0;
  bool isTerminal = true;  // false for a "directory"
};

class Storage {
 public:
  virtual ~Storage() = default;
  // Replaces the value atomically: readers see the old or the new value, never a mix.
  virtual void store(const std::string& key, std::string_view value) = 0;
  // Replaces several values so that a failure replaces none of them (a certificate and its
  // key always come from the same issuance); a crash can only land between the renames.
  virtual void storeAll(const std::vector<std::pair<std::string, std::string_view>>& values) = 0;
  // nullopt when the key does not exist; StorageError on any other failure.
  virtual std::optional<std::string> load(const std::string& key) = 0;
  // Removes a key (and, for a prefix, everything under it). False when it did not exist.
  virtual bool remove(const std::string& key) = 0;
  virtual bool exists(const std::string& key) = 0;
  // Keys directly under `prefix` (every terminal key below it when recursive).
  virtual std::vector<std::string> list(const std::string& prefix, bool recursive) = 0;
  virtual std::optional<KeyInfo> stat(const std::string& key) = 0;

  // Cluster-wide mutual exclusion by name, without blocking: true when this caller now
  // holds the lock. A lock whose holder stopped refreshing it goes stale and may be taken.
  virtual bool tryLock(const std::string& name) = 0;
  // Holders call this periodically (more often than the stale age) while working.
  virtual void refreshLock(const std::string& name) = 0;
  virtual void unlock(const std::string& name) = 0;

  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace gatehouse::acme
