#pragma once
// The working form of a TLS automation policy while buildTlsApp assembles and consolidates
// them (Caddy's caddytls.AutomationPolicy, with issuers kept as JSON).

#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/helper.h"

namespace gatehouse::parser::options {

struct Policy {
  std::vector<std::string> subjects;
  Json issuers = Json::array();
  // Whether the issuers came as module values (Caddy's Issuers) rather than only as raw JSON
  // (its IssuersRaw, as for the implicit internal policies); consolidation tells them apart.
  bool issuerObjects = false;
  // Whether `issuers` is the global cert_issuer list itself. In Caddy 2.6.2 every policy built
  // from the global options holds the same issuer objects, so a change one site block makes to
  // them (its bind host) shows in all such policies. Bookkeeping only: not compared.
  bool globalIssuers = false;
  Json managers = Json::array();
  std::string keyType;
  bool onDemand = false;
  bool reusePrivateKeys = false;
  bool disableOcspStapling = false;
  Json ocspOverrides;
  std::optional<double> renewalWindowRatio;
  // The catch-all of global ACME options that 2.6.2 lacked (config::AutomationPolicy's
  // provisionWhenUsed); not compared by samePolicy.
  bool provisionWhenUsed = false;

  [[nodiscard]] config::AutomationPolicy toConfig() const;
};

// Field-by-field equality (Caddy's reflect.DeepEqual), comparing JSON by value.
bool samePolicy(const Policy& a, const Policy& b);
// Policy `p` has nothing set but (possibly) subjects.
bool policyIsEmpty(const Policy& p);
// Canonical JSON equality (object key order ignored).
bool sameJson(const Json& a, const Json& b);

// Caddy's consolidateAutomationPolicies: sorts by specificity, drops empty or redundant
// policies and merges identical ones (tls_consolidate.cpp).
std::vector<Policy> consolidatePolicies(std::vector<Policy> policies);

// Global ACME defaults (tls_acme_defaults.cpp).
bool hasGlobalAcmeDefaults(const GlobalOptions& options);
// Fills global defaults (email, CA, roots, DNS, EAB, chains, ports, bind host, lifetime,
// resolvers) into an ACME issuer; other issuers are left alone. Throws ConfigError (no
// position) with Caddy's message when acme_dns has no provider to use.
void fillInGlobalAcmeDefaults(Json& issuer, const GlobalOptions& options);
// Whether a global option shapes automation policies (cert_issuer, local_certs, key_type,
// ocsp_stapling, renewal_window_ratio); ACME defaults alone do not.
bool hasGlobalAutomationOptions(const GlobalOptions& options);
// Caddy's newBaseAutomationPolicy: nullopt when no global option shapes policies (unless
// `always`).
std::optional<Policy> newBasePolicy(const GlobalOptions& options, bool always);

}  // namespace gatehouse::parser::options
