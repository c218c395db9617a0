#include "manager/on_demand_gate.h"

#include <algorithm>

#include "manager/certificate_manager.h"
#include "tls/connection_policy.h"

namespace gatehouse::acme {

bool qualifiesOnDemand(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

OnDemandGate::OnDemandGate(std::vector<OnDemandRule> rules, CertificateManager& manager)
    : rules_(std::move(rules)), manager_(manager) {}

const OnDemandRule* OnDemandGate::ruleFor(std::string_view name) const {
  const std::string n(name);
  for (const auto& r : rules_) {
    if (r.subjects.empty() || std::any_of(r.subjects.begin(), r.subjects.end(), [&](const std::string& s) {
          return tls::matchesServerName(s, n);
        })) {
      return r.onDemand ? &r : nullptr;
    }
  }
  return nullptr;  // certmagic's default policy, which is not on-demand
}

bool OnDemandGate::covers(std::string_view name) const {
  return qualifiesOnDemand(name) && ruleFor(name) != nullptr;
}

void OnDemandGate::request(const std::string& name, std::function<void(bool)> done) const {
  const OnDemandRule* rule = qualifiesOnDemand(name) ? ruleFor(name) : nullptr;
  if (rule == nullptr) {
    return done(false);
  }
  manager_.requestOnDemand(name, *rule, std::move(done));
}

}  // namespace gatehouse::acme
