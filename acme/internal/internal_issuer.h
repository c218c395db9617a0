#pragma once
// Caddy's internal issuer (modules/caddytls/internalissuer.go): leaf certificates signed
// by the local CA's intermediate, 12 hours by default, served with the intermediate.

#include <chrono>
#include <memory>

#include "internal/certificate_issuer.h"
#include "internal/local_ca.h"

namespace gatehouse::acme::internal {

inline constexpr std::chrono::hours kDefaultLeafLifetime{12};

class InternalIssuer final : public CertificateIssuer {
 public:
  // signWithRoot: Caddy's sign_with_root, for clients that do not follow chains.
  InternalIssuer(std::shared_ptr<const LocalCa> ca, std::chrono::seconds lifetime, bool signWithRoot = false)
      : ca_(std::move(ca)), lifetime_(lifetime), signWithRoot_(signWithRoot) {}

  [[nodiscard]] std::string issuerKey() const override { return ca_->options().id; }
  std::string issue(const std::vector<std::string>& names, const PrivateKey& key) override;

  [[nodiscard]] std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  std::shared_ptr<const LocalCa> ca_;
  std::chrono::seconds lifetime_;
  bool signWithRoot_;
};

}  // namespace gatehouse::acme::internal
