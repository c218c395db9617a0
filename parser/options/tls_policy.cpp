// Automation policy comparison and conversion to the site graph.
#include "options/tls_policy.h"

#include <nlohmann/json.hpp>

#include "gatehouse/config/policy_marker.h"

namespace gatehouse::parser::options {

bool sameJson(const Json& a, const Json& b) {
  // nlohmann::json keeps objects sorted, so converting drops insertion order.
  // Through config::dump: user text may hold invalid UTF-8, which it replaces as Go does.
  return nlohmann::json::parse(config::dump(a, false)) == nlohmann::json::parse(config::dump(b, false));
}

bool samePolicy(const Policy& a, const Policy& b) {
  return a.subjects == b.subjects && sameJson(a.issuers, b.issuers) && a.issuerObjects == b.issuerObjects &&
         sameJson(a.managers, b.managers) && a.keyType == b.keyType && a.onDemand == b.onDemand &&
         a.reusePrivateKeys == b.reusePrivateKeys && a.disableOcspStapling == b.disableOcspStapling &&
         sameJson(a.ocspOverrides, b.ocspOverrides) && a.renewalWindowRatio == b.renewalWindowRatio;
}

bool policyIsEmpty(const Policy& p) {
  Policy empty;
  empty.subjects = p.subjects;
  return samePolicy(p, empty);
}

config::AutomationPolicy Policy::toConfig() const {
  config::AutomationPolicy out;
  out.subjects = subjects;
  for (const auto& iss : issuers)
    out.issuers.push_back(iss);
  if (!managers.empty())
    out.getCertificate = managers;
  out.keyType = keyType;
  out.onDemand = onDemand;
  if (provisionWhenUsed)
    out.extra[config::kProvisionWhenUsed] = true;
  if (renewalWindowRatio)
    out.extra["renewal_window_ratio"] = *renewalWindowRatio;
  if (reusePrivateKeys)
    out.extra["reuse_private_keys"] = true;
  if (disableOcspStapling)
    out.extra["disable_ocsp_stapling"] = true;
  if (!ocspOverrides.is_null() && !ocspOverrides.empty())
    out.extra["ocsp_overrides"] = ocspOverrides;
  return out;
}

}  // namespace gatehouse::parser::options
