#pragma once
// OCSP stapling of loaded certificates (load_files, load_pem, load_folders, `tls CERT
// KEY`), as certmagic staples the unmanaged certificates it caches: a certificate whose
// leaf names a responder and whose file holds its issuer gets a checked, "good" answer
// stapled before the servers start (every fetch bounded by its 10 s timeout, all at once),
// refreshed halfway through its validity on a thread of its own, a failed fetch tried
// again after `ocsp_interval`. A failure keeps the last good staple until it expires; an
// answer saying `revoked` removes the staple (a loaded certificate cannot be replaced).
// The served copies are swapped into the runtime's certificate store in place.
// `apps.tls.disable_ocsp_stapling` (global `ocsp_stapling off`) turns it all off.

#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gatehouse/tls/certificate_store.h"
#include "log/acme_log.h"

namespace gatehouse::acme {
class OcspStapler;
}

namespace gatehouse::provision {

struct LoadedCertificate {
  tls::CertificatePtr cert;
  std::string chainPem;  // the PEM it was loaded from (leaf, then its issuer)
};

class LoadedOcspStapling {
 public:
  // Logs (as Caddy: "stapling OCSP", warn) each certificate that names no responder, then
  // fetches the others' staples and waits for the answers. `previous` (the running config's
  // certificates on a reload, else null): a staple it holds for the same leaf that is still
  // good and not yet halfway through its validity is kept instead of fetched again, as
  // certmagic reuses the staple it stored.
  LoadedOcspStapling(std::shared_ptr<tls::CertificateStore> store,
                     const std::vector<LoadedCertificate>& certs, std::chrono::seconds retryAfterFailure,
                     const std::shared_ptr<const tls::CertificateIndex>& previous = nullptr);
  ~LoadedOcspStapling();
  LoadedOcspStapling(const LoadedOcspStapling&) = delete;
  LoadedOcspStapling& operator=(const LoadedOcspStapling&) = delete;

  // Keeps the staples fresh on a thread of its own; stopped and joined by the destructor.
  void start();
  [[nodiscard]] bool empty() const { return targets_.empty(); }

 private:
  struct Target {
    std::string name;
    std::string chainPem;
    tls::CertificatePtr original;  // as loaded, without a staple
    tls::CertificatePtr served;    // what the store holds now
  };

  void staple(Target& t);
  bool keepPrevious(Target& t, const tls::CertificateIndex& previous);
  void serve(Target& t, tls::CertificatePtr next);
  void dropWhenExpired(Target& t);
  void shutdownOnLoop();

  std::shared_ptr<tls::CertificateStore> store_;
  acme::AcmeLog log_;
  uv_loop_t loop_{};
  uv_async_t* stopSignal_ = nullptr;
  std::unique_ptr<acme::OcspStapler> stapler_;
  std::vector<std::unique_ptr<Target>> targets_;
  size_t unsettled_ = 0;  // first answers still awaited (constructor)
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gatehouse::provision
