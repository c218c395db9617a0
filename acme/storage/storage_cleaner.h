#pragma once
// One pass of Caddy 2.6.2's storage cleaning over a file storage, in certmagic's order and
// with its log lines: first every OCSP staple under ocsp/ that expired or cannot be read,
// then under certificates/<issuer>/<site>/ every certificate (.crt) expired for at least the
// grace period, with its .key and .json, and each site entry left empty. A .crt that cannot
// be read ends the certificate part of the pass, as in certmagic.
//
// Safety beyond certmagic's: nothing is followed through a symbolic link (a linked site is
// an entry, never a folder to descend into), folders are only removed when empty, and a
// site is only touched while this process holds its issue_cert_<name> storage lock, the one
// a renewal (Gatehouse's or Caddy's) holds while it writes that certificate; a site whose
// lock is taken is left for the next pass.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "log/acme_log.h"
#include "storage/file_storage.h"
#include "storage/storage_clean_rules.h"

namespace gatehouse::acme {

class StorageCleaner {
 public:
  using Clock = std::chrono::system_clock;
  // `stopRequested` is polled between entries, so a shutdown never waits for a whole pass.
  StorageCleaner(FileStorage& storage, const AcmeLog& log, std::function<bool()> stopRequested = {},
                 std::chrono::nanoseconds grace = kExpiredCertGracePeriod);

  void clean(Clock::time_point now);

 private:
  void cleanStaples(Clock::time_point now);
  void cleanCertificates(Clock::time_point now);
  bool siteNeedsCleaning(const std::string& siteKey, Clock::time_point now);
  void cleanSite(const std::string& siteKey, Clock::time_point now);
  void deleteExpired(const std::string& crtKey, Clock::time_point notAfter, Clock::time_point now);
  void removeEntry(const std::string& key);  // non-recursive; throws std::runtime_error
  std::string pathOf(const std::string& key) const;
  // Entries directly under `key` (sorted, as Go's directory walk); none unless it is a
  // real directory.
  std::vector<std::string> children(const std::string& key) const;
  std::string loadCertificate(const std::string& key);
  bool stopping() const { return stopRequested_ && stopRequested_(); }
  void info(const std::string& text) const;
  void error(const std::string& text) const;

  FileStorage& storage_;
  const AcmeLog& log_;
  std::function<bool()> stopRequested_;
  std::chrono::nanoseconds grace_;
};

}  // namespace gatehouse::acme
