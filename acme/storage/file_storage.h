#pragma once
// Storage on the local file system, in certmagic's FileStorage layout and semantics: keys
// are paths under the root, files are 0600 and directories 0700, and a lock is a file
// locks/<name>.lock holding {"created","updated"} timestamps that its holder refreshes
// every few seconds; a lock not refreshed for staleAfter is abandoned and may be taken.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/storage.h"

namespace gatehouse::acme {

class FileStorage final : public Storage {
 public:
  // certmagic: locks are refreshed every 5 s and stale after 10 s without a refresh.
  static constexpr std::chrono::seconds kLockRefresh{5};
  static constexpr std::chrono::seconds kLockStale{10};

  explicit FileStorage(std::string root, std::chrono::seconds staleAfter = kLockStale);

  // Caddy's default root: $XDG_DATA_HOME/caddy, else $HOME/.local/share/caddy.
  static std::string defaultRoot();

  void store(const std::string& key, std::string_view value) override;
  // Stores several keys so that a failure (a full disk) replaces none of them: a
  // certificate and its key are stored together this way (atomic_file.h).
  void storeAll(const std::vector<std::pair<std::string, std::string_view>>& values) override;
  std::optional<std::string> load(const std::string& key) override;
  // Completes a storeAll that a kill cut between its renames: the first staged (fully
  // written and fsynced) temporary file of `key` whose content `fits` (e.g. the chain that
  // matches the key already renamed) is renamed into place. True when one was.
  bool completeInterruptedStore(const std::string& key, const std::function<bool(const std::string&)>& fits);
  bool remove(const std::string& key) override;
  bool exists(const std::string& key) override;
  std::vector<std::string> list(const std::string& prefix, bool recursive) override;
  std::optional<KeyInfo> stat(const std::string& key) override;
  bool tryLock(const std::string& name) override;
  void refreshLock(const std::string& name) override;
  void unlock(const std::string& name) override;
  [[nodiscard]] std::string describe() const override { return "FileStorage:" + root_; }

  [[nodiscard]] const std::string& root() const { return root_; }
  // Lock files are flushed to disk by default. A holder of many short locks (the storage
  // cleaner: one per expired site) turns that off: a lock only excludes live processes, and
  // one lost in a crash is absent or unreadable, which reads as stale anyway.
  void setSyncLocks(bool sync) { syncLocks_ = sync; }
  [[nodiscard]] std::string lockPath(const std::string& name) const;

 private:
  [[nodiscard]] std::string pathOf(const std::string& key) const;
  [[nodiscard]] bool lockIsStale(const std::string& path) const;

  std::string root_;
  std::chrono::seconds staleAfter_;
  bool syncLocks_ = true;
};

// RFC 3339 UTC timestamp with nanoseconds, as Go's time.Time marshals to JSON.
std::string rfc3339(std::chrono::system_clock::time_point t);
// Parses RFC 3339 (fractional seconds and offsets allowed). False when malformed.
bool parseRfc3339(const std::string& text, std::chrono::system_clock::time_point& out);

}  // namespace gatehouse::acme
