// One automation policy per HTTPS site block, from its tls.* values over the global
// defaults; blocks mixing public and internal names get a second, internal-issuer policy.
#include <algorithm>
#include <cctype>

#include "gatehouse/parser/config_error.h"
#include "options/tls_app_build.h"
#include "options/tls_app_sites.h"
#include "options/tls_subjects.h"

namespace gatehouse::parser::options {
namespace {

const std::vector<ConfigValue>* pileOf(const SiteBlock& block, const char* cls) {
  auto it = block.pile.find(cls);
  return it == block.pile.end() || it->second.empty() ? nullptr : &it->second;
}

bool isTailscaleDomain(const std::string& name) {
  std::string lower;
  for (char c : name)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.size() >= 7 && lower.compare(lower.size() - 7, 7, ".ts.net") == 0;
}

// The first address a `bind` value names (a plain list, or {"addresses": [...]}).
std::string firstBindAddress(const Json& v) {
  const Json& list = v.is_object() && v.contains("addresses") ? v["addresses"] : v;
  if (list.is_array() && !list.empty() && list[0].is_string())
    return list[0].get<std::string>();
  return "";
}

void applyIssuers(const SiteBlock& block, TlsBuild& build, Policy& ap) {
  const auto* vals = pileOf(block, "tls.cert_issuer");
  if (!vals)
    return;
  Json issuers = Json::array();
  for (const auto& v : *vals)
    issuers.push_back(v.json());
  if (&ap == build.catchAll.get() && !sameJson(ap.issuers, issuers)) {
    throw ConfigError(
        "automation policy from site block is also default/catch-all policy because of key without hostname, "
        "and the two are in conflict: " +
        config::dump(ap.issuers, false) + " != " + config::dump(issuers, false));
  }
  ap.issuers = issuers;
  ap.issuerObjects = true;
  ap.globalIssuers = false;
}

// Sets an ACME issuer's bind host unless it has one.
void setBindHost(Json& iss, const std::string& host) {
  Json& challenges = iss["challenges"];
  if (!challenges.is_object())
    challenges = Json::object();
  if (!challenges.contains("bind_host"))
    challenges["bind_host"] = host;
}

// ACME issuers answer challenges on the site's bind address unless told otherwise. The
// global cert_issuer list is one set of objects in Caddy 2.6.2, so the first bind host given
// to one of them holds for every policy using them (shareGlobalIssuerBindHosts).
void applyBindHost(const SiteBlock& block, TlsBuild& build, Policy& ap) {
  const auto* binds = pileOf(block, "bind");
  if (!binds)
    return;
  auto& shared = build.globalIssuerBindHosts;
  if (ap.globalIssuers && shared.size() < ap.issuers.size())
    shared.resize(ap.issuers.size());
  for (const auto& bind : *binds) {
    for (size_t i = 0; i < ap.issuers.size(); ++i) {
      Json& iss = ap.issuers[i];
      if (iss.value("module", "") != "acme")
        continue;
      if (ap.globalIssuers && !shared[i])
        shared[i] = firstBindAddress(bind.json());
      setBindHost(iss, ap.globalIssuers ? *shared[i] : firstBindAddress(bind.json()));
    }
  }
}

void applySiteValues(const SiteBlock& block, TlsBuild& build, Policy& ap,
                     const std::vector<std::string>& hosts) {
  if (pileOf(block, "tls.on_demand"))
    ap.onDemand = true;
  if (pileOf(block, "tls.force_automate"))
    build.forcedAutomatedNames.insert(hosts.begin(), hosts.end());
  if (pileOf(block, "tls.reuse_private_keys"))
    ap.reusePrivateKeys = true;
  if (const auto* kt = pileOf(block, "tls.key_type"))
    ap.keyType = kt->front().json().get<std::string>();
  if (const auto* r = pileOf(block, "tls.renewal_window_ratio")) {
    ap.renewalWindowRatio = r->front().json().get<double>();
  } else if (auto it = build.options.find("renewal_window_ratio"); it != build.options.end()) {
    ap.renewalWindowRatio = it->second.get<double>();
  }
  applyIssuers(block, build, ap);
  if (const auto* managers = pileOf(block, "tls.cert_manager")) {
    for (const auto& m : *managers)
      ap.managers.push_back(m.json());
  }
  applyBindHost(block, build, ap);
}

// Without explicit issuers, internal names (localhost, IPs ...) must not fall to the public
// ACME issuers: split them into a policy of their own with the internal issuer.
std::shared_ptr<Policy> splitInternalNames(Policy& ap) {
  if (!ap.issuers.empty())
    return nullptr;
  std::vector<std::string> internal, external;
  for (const auto& s : ap.subjects) {
    if (isTailscaleDomain(s))
      continue;  // those get a certificate manager instead
    if (!subjectQualifiesForCert(s))
      throw ConfigError("subject does not qualify for certificate: '" + s + "'");
    (subjectQualifiesForPublicCertImplicit(s, ap.onDemand) ? external : internal).push_back(s);
  }
  if (external.empty() || internal.empty())
    return nullptr;
  ap.subjects = external;
  auto ap2 = std::make_shared<Policy>(ap);
  ap2->subjects = internal;
  ap2->issuers = Json::array({Json{{"module", "internal"}}});
  ap2->issuerObjects = false;
  ap2->globalIssuers = false;
  return ap2;
}

void collectLoaders(const SiteBlock& block, TlsBuild& build) {
  const auto* loaders = pileOf(block, "tls.cert_loader");
  if (!loaders)
    return;
  for (const auto& v : *loaders) {
    const Json& l = v.json();
    for (const char* kind : {"load_files", "load_folders"}) {
      if (!l.contains(kind))
        continue;
      Json& into = std::string(kind) == "load_files" ? build.loadFiles : build.loadFolders;
      for (const auto& item : l[kind])
        into.push_back(item);
    }
  }
}

void addBlockPolicy(const SiteBlock& block, TlsBuild& build) {
  auto ap = std::make_shared<Policy>(*newBasePolicy(build.options, true));
  const auto hosts = blockHosts(block);
  // Only a catch-all of global automation options, or of an earlier hostless block, is one
  // in Caddy 2.6.2 (which makes none for ACME defaults alone).
  const bool siteCatchAll = build.catchAll && !build.acmeDefaultsCatchAll;
  if (hosts.empty() && siteCatchAll)
    ap = build.catchAll;
  applySiteValues(block, build, *ap, hosts);
  // A hostless block with no catch-all before it becomes the catch-all itself.
  if (hosts.empty() && !siteCatchAll) {
    build.catchAll = ap;
    build.acmeDefaultsCatchAll = false;
  }
  ap->subjects = hostsNotHttp(block, build.httpPort);
  auto ap2 = splitInternalNames(*ap);
  build.policies.push_back(ap);
  if (ap2)
    build.policies.push_back(ap2);
  collectLoaders(block, build);
}

}  // namespace

void addSitePolicies(std::vector<SiteBlockGroup>& groups, TlsBuild& build) {
  for (const auto& group : groups) {
    // An HTTP-only server needs no automation policies.
    if (!listenersUseAnyPortOtherThan(group.addresses, build.httpPort))
      continue;
    for (const SiteBlock* block : group.blocks) {
      if (isAllHttp(*block))
        continue;
      addBlockPolicy(*block, build);
    }
  }
}

void shareGlobalIssuerBindHosts(TlsBuild& build) {
  const auto& shared = build.globalIssuerBindHosts;
  for (const auto& p : build.policies) {
    if (!p->globalIssuers)
      continue;
    for (size_t i = 0; i < p->issuers.size() && i < shared.size(); ++i) {
      if (shared[i] && p->issuers[i].value("module", "") == "acme")
        setBindHost(p->issuers[i], *shared[i]);
    }
  }
}

}  // namespace gatehouse::parser::options
