// apps.tls from the sites' tls.* values and the global options (Caddy's buildTLSApp):
// automation policies, certificate loaders, and the app-wide TLS settings.
#include <algorithm>
#include <iterator>

#include "gatehouse/parser/config_error.h"
#include "options/tls_app_build.h"
#include "options/tls_app_sites.h"
#include "options/tls_modules.h"
#include "options/tls_subjects.h"

namespace gatehouse::parser {
namespace {

using options::Policy;
using options::TlsBuild;

const Json* option(const GlobalOptions& opts, const char* name) {
  auto it = opts.find(name);
  return it == opts.end() ? nullptr : &it->second;
}

bool autoHttpsHas(const GlobalOptions& opts, const char* value) {
  const Json* ah = option(opts, "auto_https");
  if (!ah || !ah->is_array())
    return false;
  return std::any_of(ah->begin(), ah->end(), [&](const Json& v) { return v == value; });
}

bool subjectHasPolicy(const TlsBuild& build, const std::string& subject) {
  return std::any_of(build.policies.begin(), build.policies.end(), [&](const auto& p) {
    return std::find(p->subjects.begin(), p->subjects.end(), subject) != p->subjects.end();
  });
}

// ECH outer names need certificates too, under the global automation settings.
void addEch(TlsBuild& build, config::TlsApp& app) {
  const Json* ech = option(build.options, "ech");
  if (!ech)
    return;
  app.extra["encrypted_client_hello"] = *ech;
  Policy ap = *options::newBasePolicy(build.options, true);
  for (const auto& cfg : ech->value("configs", Json::array())) {
    std::string name = cfg.value("public_name", "");
    if (!name.empty() && !subjectHasPolicy(build, name))
      ap.subjects.push_back(name);
  }
  if (!ap.subjects.empty())
    build.policies.push_back(std::make_shared<Policy>(ap));
}

void applyAppOptions(const GlobalOptions& opts, config::TlsApp& app) {
  if (const Json* ond = option(opts, "on_demand_tls"))
    app.automationExtra["on_demand"] = *ond;
  if (const Json* dns = option(opts, "dns"); dns && !dns->is_null())
    app.extra["dns"] = *dns;
  if (const Json* r = option(opts, "tls_resolvers"))
    app.extra["resolvers"] = *r;
  if (const Json* sc = option(opts, "storage_check"); sc && *sc == "off")
    app.extra["disable_storage_check"] = true;
  // Caddy's intervals are omitempty: a zero one is not printed (and means the default).
  auto nonZero = [](const Json* v) { return v && !(v->is_number() && *v == 0); };
  if (const Json* sci = option(opts, "storage_clean_interval")) {
    if (sci->is_boolean()) {
      app.extra["disable_storage_clean"] = true;
    } else if (nonZero(sci)) {
      app.automationExtra["storage_clean_interval"] = *sci;
    }
  }
  if (const Json* ri = option(opts, "renew_interval"); nonZero(ri))
    app.automationExtra["renew_interval"] = *ri;
  if (const Json* oi = option(opts, "ocsp_interval"); nonZero(oi))
    app.automationExtra["ocsp_interval"] = *oi;
  if (const Json* ocsp = option(opts, "ocsp_stapling")) {
    if (ocsp->value("disable_stapling", false))
      app.extra["disable_ocsp_stapling"] = true;
  }
}

// Names auto-HTTPS would not pick up itself (hosts beside a hostless key, forced names) go
// to the "automate" loader; the internal ones among them get the internal issuer.
Json automateLoader(std::vector<SiteBlockGroup>& groups, TlsBuild& build) {
  std::set<std::string> names;
  Policy internalAp;
  internalAp.issuers = Json::array({Json{{"module", "internal"}}});
  if (!autoHttpsHas(build.options, "off") && !autoHttpsHas(build.options, "disable_certs")) {
    for (const auto& host : options::httpsHostsSharedWithHostlessKey(groups, build.httpPort)) {
      names.insert(host);
      if (!options::subjectQualifiesForPublicCert(host))
        internalAp.subjects.push_back(host);
    }
  }
  names.insert(build.forcedAutomatedNames.begin(), build.forcedAutomatedNames.end());
  if (!internalAp.subjects.empty())
    build.policies.push_back(std::make_shared<Policy>(internalAp));
  return names.empty() ? Json() : Json(std::vector<std::string>(names.begin(), names.end()));
}

bool allPublicNames(const Policy& p) {
  return std::none_of(p.subjects.begin(), p.subjects.end(), [&](const std::string& s) {
    return !options::subjectQualifiesForPublicCertImplicit(s, p.onDemand) ||
           (s.size() >= 7 && s.compare(s.size() - 7, 7, ".ts.net") == 0);
  });
}

// Global ACME settings must reach every policy that has no issuers of its own.
void applyGlobalIssuerDefaults(std::vector<Policy>& policies, const GlobalOptions& opts) {
  if (options::hasGlobalAcmeDefaults(opts)) {
    const Json* email = option(opts, "email");
    for (auto& ap : policies) {
      if (!ap.issuers.empty() || !allPublicNames(ap))
        continue;
      ap.issuers = option(opts, "acme_ca") ? Json::array({options::acmeIssuer()})
                                           : options::defaultIssuers(email ? email->get<std::string>() : "");
      ap.issuerObjects = true;
    }
  }
  for (size_t i = 0; i < policies.size(); ++i) {
    for (size_t j = 0; j < policies[i].issuers.size(); ++j) {
      try {
        options::fillInGlobalAcmeDefaults(policies[i].issuers[j], opts);
      } catch (const ConfigError& e) {
        throw ConfigError("filling in global issuer defaults for AP " + std::to_string(i) + ", issuer " +
                          std::to_string(j) + ": " + e.message());
      }
    }
  }
}

void checkNoOverlap(const std::vector<Policy>& policies) {
  std::set<std::string> seen;
  for (const auto& p : policies) {
    for (const auto& s : p.subjects) {
      if (!seen.insert(s).second) {
        throw ConfigError(
            "hostname appears in more than one automation policy, making certificate management ambiguous: " +
            s);
      }
    }
  }
}

// Caddy 2.6.2 made no catch-all policy for global ACME options alone (newer Caddy's layout,
// followed here, does): its site policies kept their names, so a name also given to the
// internal issuer (a `*` beside a hostless key) was in two policies, which 2.6.2 refuses;
// the catch-all would absorb the site's policy and hide that. Checked on 2.6.2's list.
void checkNoOverlapWithout262Layout(const std::vector<Policy>& policies) {
  auto layoutOnly = [](const Policy& p) { return p.provisionWhenUsed; };
  if (std::none_of(policies.begin(), policies.end(), layoutOnly))
    return;
  std::vector<Policy> old;
  std::copy_if(policies.begin(), policies.end(), std::back_inserter(old),
               [&](const Policy& p) { return !layoutOnly(p); });
  checkNoOverlap(options::consolidatePolicies(std::move(old)));
}

}  // namespace

config::TlsApp buildTlsApp(std::vector<SiteBlockGroup>& groups, AdaptState& state) {
  const GlobalOptions& opts = state.options;
  TlsBuild build{opts, options::httpPortOption(opts), {}, nullptr, {}, Json::array(), Json::array()};
  config::TlsApp app;
  if (auto base = options::newBasePolicy(opts, false)) {
    build.catchAll = std::make_shared<Policy>(*base);
    build.policies.push_back(build.catchAll);
    build.acmeDefaultsCatchAll = !options::hasGlobalAutomationOptions(opts);
    build.catchAll->provisionWhenUsed = build.acmeDefaultsCatchAll;
  }
  options::addSitePolicies(groups, build);
  applyAppOptions(opts, app);
  addEch(build, app);
  options::shareGlobalIssuerBindHosts(build);
  Json certificates = Json::object();
  if (Json automate = automateLoader(groups, build); !automate.is_null())
    certificates["automate"] = automate;
  if (!build.loadFiles.empty())
    certificates["load_files"] = build.loadFiles;
  if (!build.loadFolders.empty())
    certificates["load_folders"] = build.loadFolders;
  if (!certificates.empty())
    app.certificates = certificates;

  std::vector<Policy> policies;
  for (const auto& p : build.policies)
    policies.push_back(*p);
  applyGlobalIssuerDefaults(policies, opts);
  checkNoOverlapWithout262Layout(policies);
  policies = options::consolidatePolicies(std::move(policies));
  checkNoOverlap(policies);
  for (const auto& p : policies)
    app.policies.push_back(p.toConfig());
  return app;
}

}  // namespace gatehouse::parser
