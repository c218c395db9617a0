#pragma once
// Keeps OCSP staples fresh for the certificate manager, on its loop: fetches through its
// own curl client, checks the answer (ocsp_staple.h), hands a stapled copy of the
// certificate to `install`, and fetches again halfway through the answer's validity (one
// `ocsp_interval` after a failure) for as long as that certificate is still the one served.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "gatehouse/tls/certificate.h"
#include "http/http_client.h"
#include "log/acme_log.h"

namespace gatehouse::acme {

class OcspStapler {
 public:
  using Served = std::shared_ptr<const tls::Certificate>;
  struct Hooks {
    std::function<bool(const Served&)> isCurrent;  // still what the name serves?
    std::function<void(Served)> install;           // serve this (stapled) copy instead
    std::function<void()> revoked;                 // the responder says revoked: replace it
    std::function<void()> settled;                 // optional: after each answer is handled, whatever it said
    std::string onRevoked = "replacing it";        // what the revoked warning says happens next
  };

  OcspStapler(uv_loop_t* loop, const AcmeLog& log, std::chrono::seconds retryAfterFailure);

  // Does nothing when the certificate names no responder.
  void staple(const std::string& name, Served cert, const std::string& chainPem, Hooks hooks);
  // Drops requests in flight; later calls do nothing. Loop thread.
  void shutdown();

 private:
  void again(const std::string& name, Served cert, const std::string& chainPem, Hooks hooks,
             std::chrono::system_clock::time_point at);

  uv_loop_t* loop_;
  const AcmeLog& log_;
  std::chrono::seconds retryAfterFailure_;
  std::shared_ptr<HttpClient> http_;
};

}  // namespace gatehouse::acme
