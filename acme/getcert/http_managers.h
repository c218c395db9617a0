#pragma once
// Caddy's tls.get_certificate.http as certmagic 0.17 (Caddy 2.6.2) runs it: a handshake for a
// name that no certificate in the store matches asks the managers of the automation policy
// covering the name, in order; the first certificate wins. Each ask is a GET of the
// manager's URL (see manager_url.h): 200 with a PEM chain and key serves that certificate
// for this handshake only (certmagic does not cache it); 204 means "not mine"; anything
// else is that manager's failure, reported to be logged. Without a certificate the
// handshake goes on as without managers (caddy 2.6.2 does the same after its failures).
//
// The requests run on a thread of its own (a libuv loop with libcurl's multi interface,
// started at the first ask), so no serving loop ever waits; each is bounded in time and
// body size. Destroying the service stops the thread without joining it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/tls/certificate_managers.h"

namespace gatehouse::acme {

class ManagerCore;

// One automation policy as the managers see it: its subjects (empty: every name) and its
// http managers' URLs. Policies without managers still count: the first policy covering
// a name decides, as in Caddy.
struct ManagerPolicy {
  std::vector<std::string> subjects;  // lower-case
  std::vector<std::string> urls;
};

class HttpCertificateManagers final : public tls::CertificateManagers {
 public:
  explicit HttpCertificateManagers(std::vector<ManagerPolicy> policies);
  ~HttpCertificateManagers() override;
  HttpCertificateManagers(const HttpCertificateManagers&) = delete;
  HttpCertificateManagers& operator=(const HttpCertificateManagers&) = delete;

  [[nodiscard]] bool covers(std::string_view name) const override;
  void request(tls::ManagerQuery query, std::function<void(tls::ManagerAnswer)> done) const override;

 private:
  [[nodiscard]] const ManagerPolicy* policyFor(std::string_view name) const;

  std::vector<ManagerPolicy> policies_;
  std::shared_ptr<ManagerCore> core_;
};

}  // namespace gatehouse::acme
