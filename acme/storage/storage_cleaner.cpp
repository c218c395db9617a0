#include "storage/storage_cleaner.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "log/go_time_text.h"
#include "storage/storage_keys.h"

namespace gatehouse::acme {

namespace fs = std::filesystem;

namespace {

// Aborts the certificate part of a pass with certmagic's error text.
class CleanAbort : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string baseName(const std::string& key) {
  return key.substr(key.rfind('/') + 1);
}

bool hasCrtExtension(const std::string& key) {
  const std::string name = baseName(key);
  const auto dot = name.rfind('.');
  return dot != std::string::npos && name.compare(dot, std::string::npos, ".crt") == 0;
}

// Go's error text for an errno: the C library's, starting lower-case.
std::string goErrno(int err) {
  std::string text = std::strerror(err);
  if (!text.empty())
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string goDuration(std::chrono::nanoseconds d) {
  std::string out;
  log::appendGoDuration(out, d.count());
  return out;
}

// Releases a storage lock when the site's work ends, however it ends.
class HeldLock {
 public:
  HeldLock(FileStorage& storage, std::string name) : storage_(storage), name_(std::move(name)) {}
  ~HeldLock() {
    try {
      storage_.unlock(name_);
    } catch (const StorageError&) {
      // a lock file that cannot be removed goes stale and is taken over
    }
  }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;

 private:
  FileStorage& storage_;
  std::string name_;
};

}  // namespace

StorageCleaner::StorageCleaner(FileStorage& storage, const AcmeLog& log, std::function<bool()> stopRequested,
                               std::chrono::nanoseconds grace)
    : storage_(storage), log_(log), stopRequested_(std::move(stopRequested)), grace_(grace) {}

void StorageCleaner::clean(Clock::time_point now) {
  cleanStaples(now);
  try {
    cleanCertificates(now);
  } catch (const CleanAbort& e) {
    error(std::string("Deleting expired certificates: ") + e.what());
  }
}

void StorageCleaner::info(const std::string& text) const {
  log_.info("", "[INFO] " + text);  // certmagic logs these through Go's standard logger
}

void StorageCleaner::error(const std::string& text) const {
  log_.info("", "[ERROR] " + text);  // ... which Caddy records at level info
}

std::string StorageCleaner::pathOf(const std::string& key) const {
  if (key.find("..") != std::string::npos)
    throw std::runtime_error("invalid storage key: " + key);
  return storage_.root() + "/" + key;
}

std::vector<std::string> StorageCleaner::children(const std::string& key) const {
  std::vector<std::string> out;
  std::error_code ec;
  const std::string dir = storage_.root() + "/" + key;
  if (!fs::is_directory(fs::symlink_status(dir, ec)))
    return out;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec))
    out.push_back(key + "/" + it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

void StorageCleaner::removeEntry(const std::string& key) {
  const std::string path = pathOf(key);
  // fs::remove takes a link itself and refuses a folder that is not empty.
  if (::remove(path.c_str()) != 0)
    throw std::runtime_error("remove " + path + ": " + goErrno(errno));
}

void StorageCleaner::cleanStaples(Clock::time_point now) {
  for (const auto& key : children("ocsp")) {
    if (stopping())
      return;
    std::error_code ec;
    if (fs::is_directory(fs::status(pathOf(key), ec))) {
      error("While deleting old OCSP staples, unable to load staple file: read " + pathOf(key) +
            ": is a directory");
      continue;
    }
    std::optional<std::string> der;
    try {
      der = storage_.load(key);
    } catch (const StorageError& e) {
      error(std::string("While deleting old OCSP staples, unable to load staple file: ") + e.what());
      continue;
    }
    const StapleState state = der ? stapleState(*der, now) : StapleState::Current;
    if (state == StapleState::Current)
      continue;
    // The stapler replaces a staple by renaming a new file over it: delete only what was judged.
    if (storage_.load(key) != der)
      continue;
    try {
      removeEntry(key);
    } catch (const std::runtime_error& e) {
      error(std::string(state == StapleState::Expired ? "Purging expired staple file "
                                                      : "Purging corrupt staple file ") +
            key + ": " + e.what());
    }
  }
}

void StorageCleaner::cleanCertificates(Clock::time_point now) {
  for (const auto& issuerKey : children("certificates")) {
    for (const auto& siteKey : children(issuerKey)) {
      if (stopping())
        return;
      if (siteNeedsCleaning(siteKey, now))
        cleanSite(siteKey, now);
    }
  }
}

std::string StorageCleaner::loadCertificate(const std::string& key) {
  std::error_code ec;
  const std::string path = pathOf(key);
  if (fs::is_directory(fs::status(path, ec)))
    throw CleanAbort("loading certificate file " + key + ": read " + path + ": is a directory");
  try {
    if (auto pem = storage_.load(key))
      return *pem;
  } catch (const StorageError& e) {
    throw CleanAbort("loading certificate file " + key + ": " + e.what());
  }
  throw CleanAbort("loading certificate file " + key + ": open " + path + ": no such file or directory");
}

// Read without the lock: most passes find nothing to do and take no lock at all. A .crt
// that cannot be read counts, so the locked pass reports it in certmagic's order.
bool StorageCleaner::siteNeedsCleaning(const std::string& siteKey, Clock::time_point now) {
  const auto assets = children(siteKey);
  if (assets.empty())
    return true;
  for (const auto& key : assets) {
    if (!hasCrtExtension(key))
      continue;
    try {
      const auto expiry = storedCertExpiry(loadCertificate(key), key);
      if (!expiry.notAfter || expiredBeyondGrace(*expiry.notAfter, now, grace_))
        return true;
    } catch (const CleanAbort&) {
      return true;
    }
  }
  return false;
}

void StorageCleaner::cleanSite(const std::string& siteKey, Clock::time_point now) {
  const std::string lockName = storage_keys::issueLockName(baseName(siteKey));
  try {
    if (!storage_.tryLock(lockName))
      return;  // being renewed: looked at again next pass
  } catch (const StorageError& e) {
    error("Locking " + siteKey + " for cleaning: " + e.what());
    return;
  }
  HeldLock held(storage_, lockName);
  for (const auto& key : children(siteKey)) {
    if (!hasCrtExtension(key))
      continue;
    // Read again under the lock: a renewal may have replaced it since.
    const auto expiry = storedCertExpiry(loadCertificate(key), key);
    if (!expiry.notAfter)
      throw CleanAbort(expiry.error);
    if (expiredBeyondGrace(*expiry.notAfter, now, grace_))
      deleteExpired(key, *expiry.notAfter, now);
  }
  if (!children(siteKey).empty())
    return;
  info("Deleting " + siteKey + " because key is empty");
  try {
    removeEntry(siteKey);
  } catch (const std::runtime_error& e) {
    throw CleanAbort("deleting empty site folder " + siteKey + ": " + e.what());
  }
}

void StorageCleaner::deleteExpired(const std::string& crtKey, Clock::time_point notAfter,
                                   Clock::time_point now) {
  info("Certificate " + crtKey + " expired " + goDuration(now - notAfter) + " ago; cleaning up");
  const std::string base = crtKey.substr(0, crtKey.size() - 4);
  for (const std::string& key : {crtKey, base + ".key", base + ".json"}) {
    info("Deleting " + key + " because resource expired");
    try {
      removeEntry(key);
    } catch (const std::runtime_error& e) {
      error("Cleaning up asset related to expired certificate for " + base + ": " + key + ": " + e.what());
    }
  }
}

}  // namespace gatehouse::acme
