#include "provision/on_demand_provision.h"

#include <algorithm>

#include "provision/managed_certificates.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "tls/connection_policy.h"

namespace gatehouse::provision {

using config::Json;

namespace {

const config::AutomationPolicy* policyFor(const std::string& name, const TlsAppRuntime& tls) {
  for (const auto* p : tls.policies) {
    if (p->subjects.empty() || std::any_of(p->subjects.begin(), p->subjects.end(), [&](const std::string& s) {
          return tls::matchesServerName(s, name);
        })) {
      return p;
    }
  }
  return nullptr;
}

std::string endpointOf(const Json& v, const std::string& path) {
  if (!v.is_string() || v.get<std::string>().empty()) {
    throw ProvisionError(path, "expected a URL");
  }
  const std::string url = v.get<std::string>();
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    throw ProvisionError(path, "the ask endpoint must be an http:// or https:// URL");
  }
  return url;
}

// certmagic's limiter refuses a window without events: caddy 2.6.2 panics ("maxEvents = 0
// and window != 0 would not allow any events") when it provisions its TLS app.
void requireEvents(const acme::OnDemandConfig& c, const std::string& path) {
  if (c.interval.count() != 0 && c.burst == 0) {
    throw ProvisionError(path + ".burst",
                         "a non-zero interval needs a burst above 0 (0 would allow no "
                         "certificate at all; caddy 2.6.2 panics on it)");
  }
}

// apps.tls.automation.on_demand: {"ask": URL} (2.6), {"permission": {"module": "http",
// "endpoint": URL}} (2.7+), {"rate_limit": {"interval": duration, "burst": n}} (2.6).
void readSettings(const Json& ond, acme::OnDemandConfig& out) {
  const std::string path = "apps.tls.automation.on_demand";
  if (!ond.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [key, v] : ond.items()) {
    const std::string p = path + "." + key;
    if (key == "ask") {
      out.ask = endpointOf(v, p);
    } else if (key == "permission") {
      if (!v.is_object() || v.value("module", "") != "http") {
        throw ProvisionError(p + ".module", "only the 'http' permission module is supported");
      }
      for (const auto& [k, _] : v.items()) {
        if (k != "module" && k != "endpoint") {
          throw ProvisionError(p + "." + k, "'" + k + "' is not supported yet");
        }
      }
      if (!out.ask.empty()) {
        throw ProvisionError(p, "both 'ask' and 'permission' are set");
      }
      out.ask = endpointOf(v.contains("endpoint") ? v["endpoint"] : Json(), p + ".endpoint");
    } else if (key == "rate_limit") {
      if (!v.is_object()) {
        throw ProvisionError(p, "expected an object");
      }
      out.rateLimitSet = true;
      for (const auto& [k, val] : v.items()) {
        if (k == "interval") {
          out.interval = parseDuration(val, p + ".interval");
        } else if (k == "burst") {
          if (!val.is_number_integer() || val.get<int64_t>() < 0 || val.get<int64_t>() > 1'000'000) {
            throw ProvisionError(p + ".burst", "expected a non-negative integer");
          }
          out.burst = val.get<int>();
        } else {
          throw ProvisionError(p + "." + k, "'" + k + "' is not supported yet");
        }
      }
      requireEvents(out, p);
    } else {
      throw ProvisionError(p, "'" + key + "' is not supported yet");
    }
  }
}

}  // namespace

bool onDemandName(const std::string& name, const TlsAppRuntime& tls) {
  const auto* p = policyFor(name, tls);
  return p != nullptr && p->onDemand;
}

std::optional<acme::OnDemandConfig> provisionOnDemand(
    const config::Config& config, const TlsAppRuntime& tls,
    const std::function<size_t(const IssuerChoice&, const std::string& where)>& issuerIndex) {
  // The settings are read even when no policy is on demand: caddy 2.6.2 sets up its rate
  // limiter whenever they are given.
  acme::OnDemandConfig out;
  if (config.tls && config.tls->automationExtra.contains("on_demand")) {
    readSettings(config.tls->automationExtra["on_demand"], out);
  }
  if (std::none_of(tls.policies.begin(), tls.policies.end(), [](const auto* p) { return p->onDemand; })) {
    return std::nullopt;
  }
  for (size_t i = 0; i < tls.policies.size(); ++i) {
    const auto& p = *tls.policies[i];
    acme::OnDemandRule rule;
    rule.subjects = p.subjects;
    rule.onDemand = p.onDemand;
    if (p.onDemand) {
      const std::string where = "apps.tls.automation.policies[" + std::to_string(i) + "]";
      IssuerChoice choice;
      choice.policy = &p;
      if (!p.issuers.empty()) {
        choice.issuer = &p.issuers.front();
        choice.path = where + ".issuers[0]";
      }
      rule.issuer = issuerIndex(choice, choice.path.empty() ? where : choice.path);
      if (!p.keyType.empty()) {
        auto kt = acme::parseKeyType(p.keyType);
        if (!kt) {
          throw ProvisionError(where + ".key_type", "unsupported key_type '" + p.keyType + "'");
        }
        rule.keyType = *kt;
      }
      rule.ocspStapling = ocspStaplingOf(&p, where);
    }
    out.rules.push_back(std::move(rule));
  }
  return out;
}

}  // namespace gatehouse::provision
