// Global defaults for automation policies and ACME issuers (Caddy's newBaseAutomationPolicy,
// fillInGlobalACMEDefaults and hasGlobalACMEDefaults).
#include "gatehouse/parser/config_error.h"
#include "options/option_util.h"
#include "options/tls_policy.h"

namespace gatehouse::parser::options {
namespace {

const Json* opt(const GlobalOptions& options, const char* name) {
  auto it = options.find(name);
  return it == options.end() ? nullptr : &it->second;
}

// A non-null option value (acme_dns may be set to null, meaning "use `dns`").
const Json* value(const GlobalOptions& options, const char* name) {
  const Json* v = opt(options, name);
  return v && !v->is_null() ? v : nullptr;
}

Json& ensureObject(Json& parent, const char* key) {
  if (!parent.contains(key) || !parent[key].is_object())
    parent[key] = Json::object();
  return parent[key];
}

bool hasDns(const Json& iss) {
  return iss.contains("challenges") && iss["challenges"].contains("dns");
}

void fillDns(Json& iss, const GlobalOptions& options) {
  const bool acmeDnsSet = opt(options, "acme_dns") != nullptr;
  bool hasProvider = hasDns(iss) && iss["challenges"]["dns"].contains("provider");
  if (acmeDnsSet && !hasProvider) {
    const Json* acmeDns = value(options, "acme_dns");
    if (!acmeDns && !value(options, "dns")) {
      throw ConfigError(
          "acme_dns specified without DNS provider config, but no provider specified with 'dns' global "
          "option");
    }
    Json& dns = ensureObject(ensureObject(iss, "challenges"), "dns");
    if (acmeDns)
      dns["provider"] = *acmeDns;
  }
}

// Alternate challenge ports only matter when the DNS challenge (which excludes the others)
// is not in use.
void fillPorts(Json& iss, const GlobalOptions& options) {
  const Json* httpPort = value(options, "http_port");
  const Json* httpsPort = value(options, "https_port");
  auto set = [&](const Json* port, const char* challenge) {
    if (!port || hasDns(iss))
      return;
    if (iss.contains("challenges") && iss["challenges"].contains(challenge) &&
        iss["challenges"][challenge].value("alternate_port", 0) != 0) {
      return;
    }
    ensureObject(ensureObject(iss, "challenges"), challenge)["alternate_port"] = *port;
  };
  set(httpPort, "http");
  set(httpsPort, "tls-alpn");
}

void fillBindHost(Json& iss, const GlobalOptions& options) {
  bool has = iss.contains("challenges");
  if (has && (iss["challenges"].contains("dns") || iss["challenges"].contains("bind_host")))
    return;
  const Json* binds = value(options, "default_bind");
  if (!binds || binds->empty())
    return;
  const Json& addrs = (*binds)[0]["addresses"];
  if (addrs.empty())
    return;
  ensureObject(iss, "challenges")["bind_host"] = addrs[0];
}

void fillResolvers(Json& iss, const GlobalOptions& options) {
  const Json* resolvers = value(options, "tls_resolvers");
  if (!resolvers || !hasDns(iss))
    return;
  Json& dns = iss["challenges"]["dns"];
  bool dnsChallenge = opt(options, "acme_dns") != nullptr || dns.contains("provider");
  if (dnsChallenge && (!dns.contains("resolvers") || dns["resolvers"].empty()))
    dns["resolvers"] = *resolvers;
}

}  // namespace

bool hasGlobalAcmeDefaults(const GlobalOptions& options) {
  return value(options, "email") || value(options, "acme_ca") || value(options, "acme_ca_root") ||
         opt(options, "acme_dns") || value(options, "acme_eab") || value(options, "preferred_chains");
}

void fillInGlobalAcmeDefaults(Json& iss, const GlobalOptions& options) {
  // Caddy 2.6's zerossl issuer is the ACME issuer at ZeroSSL, and gets the same defaults.
  const std::string module = iss.value("module", "");
  if (module != "acme" && module != "zerossl")
    return;
  if (const Json* email = value(options, "email"); email && !iss.contains("email"))
    iss["email"] = *email;
  if (const Json* ca = value(options, "acme_ca"); ca && !iss.contains("ca"))
    iss["ca"] = *ca;
  if (const Json* root = value(options, "acme_ca_root")) {
    appendUnique(iss["trusted_roots_pem_files"], root->get<std::string>());
  }
  fillDns(iss, options);
  if (const Json* eab = value(options, "acme_eab"); eab && !iss.contains("external_account")) {
    iss["external_account"] = *eab;
  }
  if (const Json* chains = value(options, "preferred_chains"); chains && !iss.contains("preferred_chains")) {
    iss["preferred_chains"] = *chains;
  }
  fillPorts(iss, options);
  fillBindHost(iss, options);
  if (const Json* lifetime = value(options, "cert_lifetime");
      lifetime && !iss.contains("certificate_lifetime")) {
    iss["certificate_lifetime"] = *lifetime;
  }
  fillResolvers(iss, options);
}

bool hasGlobalAutomationOptions(const GlobalOptions& options) {
  for (const char* name :
       {"cert_issuer", "local_certs", "key_type", "ocsp_stapling", "renewal_window_ratio"}) {
    if (opt(options, name))
      return true;
  }
  return false;
}

std::optional<Policy> newBasePolicy(const GlobalOptions& options, bool always) {
  const Json* issuers = opt(options, "cert_issuer");
  const bool localCerts = opt(options, "local_certs") != nullptr;
  const Json* keyType = opt(options, "key_type");
  const Json* ocsp = opt(options, "ocsp_stapling");
  const Json* ratio = opt(options, "renewal_window_ratio");
  const bool automationOpts = hasGlobalAutomationOptions(options);
  const bool acmeDefaults = value(options, "acme_ca") || value(options, "acme_ca_root") ||
                            opt(options, "acme_dns") || value(options, "acme_eab") ||
                            value(options, "preferred_chains");
  if (!automationOpts && !acmeDefaults) {
    return always ? std::optional<Policy>(Policy{}) : std::nullopt;
  }
  Policy ap;
  if (keyType)
    ap.keyType = keyType->get<std::string>();
  if (issuers && localCerts) {
    throw ConfigError(
        "global options are ambiguous: local_certs is confusing when combined with cert_issuer, because "
        "local_certs is also a specific kind of issuer");
  }
  if (issuers) {
    ap.issuers = *issuers;
    ap.globalIssuers = true;
  } else if (localCerts) {
    ap.issuers = Json::array({Json{{"module", "internal"}}});
  }
  ap.issuerObjects = !ap.issuers.empty();
  if (acmeDefaults) {
    for (auto& iss : ap.issuers)
      fillInGlobalAcmeDefaults(iss, options);
  }
  if (ocsp) {
    ap.disableOcspStapling = ocsp->value("disable_stapling", false);
    if (ocsp->contains("responder_overrides"))
      ap.ocspOverrides = (*ocsp)["responder_overrides"];
  }
  if (ratio)
    ap.renewalWindowRatio = ratio->get<double>();
  return ap;
}

}  // namespace gatehouse::parser::options
