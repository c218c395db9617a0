#pragma once
// The process's certificate cache: every certificate the server may present, indexed by
// the names it covers. Shared by all workers and by whoever manages certificates (config
// loading now; ACME issuance and renewal later).
//
// Handshakes read an immutable snapshot (one atomic shared_ptr load, no lock); writers
// build a new index and publish it, so a renewal never blocks or tears a handshake.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gatehouse/tls/certificate.h"

namespace gatehouse::tls {

using CertificatePtr = std::shared_ptr<const Certificate>;

// One published state of the store. Immutable.
class CertificateIndex {
 public:
  explicit CertificateIndex(std::vector<CertificatePtr> certs);

  // Certificates whose names contain `name` exactly (lower-case, no trailing dot).
  [[nodiscard]] const std::vector<CertificatePtr>* exact(std::string_view name) const;
  // certmagic's lookup: the exact name, else the name with its leftmost label replaced by
  // '*' ("a.example.com" -> "*.example.com"). Empty when nothing covers it.
  [[nodiscard]] std::vector<CertificatePtr> lookup(std::string_view name) const;
  [[nodiscard]] const std::vector<CertificatePtr>& all() const { return certs_; }

 private:
  std::vector<CertificatePtr> certs_;
  std::unordered_map<std::string, std::vector<CertificatePtr>> byName_;
};

class CertificateStore {
 public:
  CertificateStore();

  // Lock-free read for handshakes.
  [[nodiscard]] std::shared_ptr<const CertificateIndex> snapshot() const { return index_.load(); }

  // Adds a certificate, replacing one with the same fingerprint. Thread-safe.
  void install(CertificatePtr cert);
  // Removes by fingerprint. Thread-safe.
  void remove(const std::string& fingerprint);
  // A managed certificate for `name` (issued, renewed, or from storage): replaces the
  // managed ones whose names include `name`. Loaded certificates (replaceAll, install:
  // load_files, `tls CERT KEY`) are never replaced, as in certmagic's cache, where a
  // managed certificate for a name (auto_https ignore_loaded_certs) sits beside the loaded
  // one and certificate_selection decides. Thread-safe.
  void replaceFor(const std::string& name, CertificatePtr cert);
  // Puts `next` (the same leaf with another OCSP staple, or none) where `current` is, in
  // place, so the selection order stays. False, changing nothing, when `current` is no
  // longer in the store (replaced or removed meanwhile). Thread-safe.
  bool swapStaple(const CertificatePtr& current, CertificatePtr next);
  // Replaces the whole set with loaded certificates (a config load). Thread-safe.
  void replaceAll(std::vector<CertificatePtr> certs);

 private:
  void publish(std::vector<CertificatePtr> certs);

  std::mutex writeMu_;                       // serialises writers only
  std::unordered_set<std::string> managed_;  // fingerprints put by replaceFor; under writeMu_
  std::atomic<std::shared_ptr<const CertificateIndex>> index_;
};

}  // namespace gatehouse::tls
