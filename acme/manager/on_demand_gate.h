#pragma once
// What a paused handshake talks to: decides from the automation policies whether a name is
// on-demand (the first policy covering it decides, as certmagic), and hands requests to the
// certificate manager with that policy's issuer and key type. Immutable; the manager that
// owns it outlives every handshake that can reach it (connections keep their runtime).

#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/tls/on_demand.h"
#include "manager/on_demand_config.h"

namespace gatehouse::acme {

class CertificateManager;

// certmagic.SubjectQualifiesForCert, for a name taken from SNI: something a CA could
// certify, not a wildcard, no stray characters.
bool qualifiesOnDemand(std::string_view name);

class OnDemandGate final : public tls::OnDemandCertificates {
 public:
  OnDemandGate(std::vector<OnDemandRule> rules, CertificateManager& manager);

  [[nodiscard]] bool covers(std::string_view name) const override;
  void request(const std::string& name, std::function<void(bool)> done) const override;

 private:
  [[nodiscard]] const OnDemandRule* ruleFor(std::string_view name) const;

  std::vector<OnDemandRule> rules_;
  CertificateManager& manager_;
};

}  // namespace gatehouse::acme
