#pragma once
// On-demand TLS (Caddy's `tls { on_demand }`): a handshake for a name that has no
// certificate yet, but that an on-demand automation policy covers, is paused while the
// certificate manager decides (the `ask` endpoint, rate limits) and obtains one; the
// handshake then resumes with the new certificate, or fails with an alert.

#include <functional>
#include <string>
#include <string_view>

namespace gatehouse::tls {

class OnDemandCertificates {
 public:
  virtual ~OnDemandCertificates() = default;
  // Whether a handshake for `name` (lower-case SNI) may wait for a certificate obtained on
  // demand. Called on worker threads: thread-safe, never blocks.
  [[nodiscard]] virtual bool covers(std::string_view name) const = 0;
  // Asks for a certificate for `name`. `done` runs exactly once, on any thread (possibly
  // before request() returns): true once a certificate for the name is in the certificate
  // store, false when it was refused or could not be obtained. Never blocks.
  virtual void request(const std::string& name, std::function<void(bool)> done) const = 0;
};

}  // namespace gatehouse::tls
