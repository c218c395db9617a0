#pragma once
// Certificates from the internal issuer for the names automatic HTTPS assigns it: loaded
// from storage (certificates/<ca>/<name>/) when still fresh, else issued and saved there
// as certmagic does, installed into the certificate store, and renewed when the policy's
// renewal_window_ratio of their lifetime is left (a third by default) by a background
// thread that swaps them into the store.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gatehouse/tls/certificate_store.h"
#include "internal/certificate_issuer.h"
#include "storage/storage.h"

namespace gatehouse::provision {

class InternalCertificates {
 public:
  struct Managed {
    std::string name;
    std::shared_ptr<acme::CertificateIssuer> issuer;
    std::chrono::system_clock::time_point renewAt{};
    double renewalWindowRatio = 1.0 / 3;
  };

  InternalCertificates(std::shared_ptr<acme::Storage> storage, std::shared_ptr<tls::CertificateStore> store);
  ~InternalCertificates();
  InternalCertificates(const InternalCertificates&) = delete;
  InternalCertificates& operator=(const InternalCertificates&) = delete;

  // Obtains (storage or issuance) and installs a certificate for `name` now. Throws
  // std::runtime_error.
  void manage(const std::string& name, std::shared_ptr<acme::CertificateIssuer> issuer,
              double renewalWindowRatio = 1.0 / 3);
  // Starts the renewal thread; stopped and joined by the destructor.
  void startRenewal();

 private:
  void obtain(Managed& m, bool allowStored);
  void renewLoop();

  std::shared_ptr<acme::Storage> storage_;
  std::shared_ptr<tls::CertificateStore> store_;
  std::vector<Managed> managed_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Renew when `ratio` of the lifetime remains (certmagic's default: a third).
std::chrono::system_clock::time_point renewalTime(std::chrono::system_clock::time_point notBefore,
                                                  std::chrono::system_clock::time_point notAfter,
                                                  double ratio = 1.0 / 3);

}  // namespace gatehouse::provision
