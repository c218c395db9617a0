#include "provision/managed_certificates.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "crypto/certificate_info.h"
#include "dns/dns_challenge_settings.h"
#include "internal/internal_issuer.h"
#include "internal/local_ca.h"
#include "log/process_log.h"
#include "manager/certificate_manager.h"
#include "manager/renewal_schedule.h"
#include "provision/internal_settings.h"
#include "provision/on_demand_provision.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "service/service_config.h"
#include "tls/connection_policy.h"

namespace gatehouse::provision {

using config::Json;

void checkTrustedRoots(const std::string& file, const std::string& path) {
  // Worded as caddy's os.ReadFile error: "open FILE: no such file or directory".
  auto fail = [&](const std::string& op, int err) {
    std::string why = std::strerror(err);
    why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));  // Go's errno texts
    throw ProvisionError(path,
                         "loading trusted root CA's PEM file: " + file + ": " + op + " " + file + ": " + why);
  };
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    fail("read", EISDIR);
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fail("open", errno);
  }
  std::ostringstream pem;
  pem << in.rdbuf();
  for (const auto& block : acme::splitPemCertificates(pem.str())) {
    try {
      (void)acme::readCertificateInfo(block);
      return;
    } catch (const std::runtime_error&) {
      // not a certificate: Go's AppendCertsFromPEM skips it too
    }
  }
  throw ProvisionError(path, "unable to add " + file + " to trust pool: no PEM certificate in it");
}

namespace {

bool isIp(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// certmagic.SubjectQualifiesForPublicCert.
bool qualifiesForPublicCertificate(const std::string& host) {
  auto endsWith = [&](std::string_view s) { return host.ends_with(s); };
  return host != "localhost" && !endsWith(".localhost") && !endsWith(".local") && !endsWith(".internal") &&
         !endsWith(".home.arpa") && !isIp(host);
}

bool covers(const config::AutomationPolicy& p, const std::string& name) {
  return p.subjects.empty() || std::any_of(p.subjects.begin(), p.subjects.end(), [&](const std::string& s) {
           return tls::matchesServerName(s, name);
         });
}

void requireKnown(const Json& obj, const std::string& path, std::initializer_list<const char*> known) {
  if (!obj.is_object()) {
    throw ProvisionError(path, "expected an object");
  }
  for (const auto& [key, _] : obj.items()) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      throw ProvisionError(path + "." + key, "'" + key + "' is not supported yet");
    }
  }
}

std::string stringField(const Json& obj, const char* key, const std::string& path) {
  if (!obj.contains(key)) {
    return "";
  }
  if (!obj[key].is_string()) {
    throw ProvisionError(path + "." + key, "expected a string");
  }
  return obj[key].get<std::string>();
}

std::vector<std::string> stringList(const Json& obj, const char* key, const std::string& path) {
  std::vector<std::string> out;
  if (!obj.contains(key)) {
    return out;
  }
  if (!obj[key].is_array()) {
    throw ProvisionError(path + "." + key, "expected an array of strings");
  }
  for (const auto& v : obj[key]) {
    if (!v.is_string()) {
      throw ProvisionError(path + "." + key, "expected an array of strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

// One challenge type's options: {"disabled": bool, "alternate_port": int}.
struct ChallengeOptions {
  bool enabled = true;
  uint16_t alternatePort = 0;  // 0: the http app's http_port / https_port
};

ChallengeOptions challengeOptions(const Json& challenges, const char* type, const std::string& path) {
  ChallengeOptions out;
  if (!challenges.contains(type)) {
    return out;
  }
  const Json& c = challenges[type];
  const std::string p = path + "." + type;
  requireKnown(c, p, {"disabled", "alternate_port"});
  if (c.contains("alternate_port")) {
    const Json& port = c["alternate_port"];
    if (!port.is_number_integer() || port.get<int64_t>() < 0 || port.get<int64_t>() > 65535) {
      throw ProvisionError(p + ".alternate_port", "expected a port number (1-65535)");
    }
    out.alternatePort = static_cast<uint16_t>(port.get<int64_t>());
  }
  if (c.contains("disabled") && !c["disabled"].is_boolean()) {
    throw ProvisionError(p + ".disabled", "expected true or false");
  }
  out.enabled = !c.value("disabled", false);
  return out;
}

// Who answers one challenge type, as certmagic: a server of ours on the challenge's port
// answers it there; with none, a listener of the manager's own binds bind_host:port while a
// challenge is presented. A server of the other kind on that port cannot answer: an
// explicit alternate port there is refused; the default port just leaves the type unused
// (the other challenge types go on).
void placeChallenge(bool http, const ChallengeOptions& o, const ChallengePorts& ports,
                    const std::string& bindHost, const std::string& path, acme::AcmeIssuerSettings& s) {
  bool& enabled = http ? s.http01 : s.tlsAlpn01;
  auto& standalone = http ? s.http01Standalone : s.tlsAlpn01Standalone;
  enabled = o.enabled;
  if (!enabled) {
    return;
  }
  const uint16_t port = o.alternatePort != 0 ? o.alternatePort : (http ? ports.http : ports.https);
  const auto& same = http ? ports.plainListeners : ports.tlsListeners;
  const auto& other = http ? ports.tlsListeners : ports.plainListeners;
  if (same.contains(port)) {
    return;  // the engine's routes / acme-tls/1 hook answer
  }
  if (other.contains(port)) {
    if (o.alternatePort == 0) {
      enabled = false;
      return;
    }
    throw ProvisionError(path + "." + (http ? "http" : "tls-alpn") + ".alternate_port",
                         std::string(http ? "alt_http_port " : "alt_tlsalpn_port ") + std::to_string(port) +
                             (http ? " is a TLS listener of this config, but the CA asks HTTP-01 over plain "
                                     "HTTP there; use a port a plain-HTTP site listens on, or a free one"
                                   : " is a plain-HTTP listener of this config, but TLS-ALPN-01 needs TLS "
                                     "there; use a port an HTTPS site listens on, or a free one"));
  }
  standalone = acme::ChallengeAddress{bindHost, port};
}

void requireAChallenge(const acme::AcmeIssuerSettings& s, const std::string& path) {
  if (!s.http01 && !s.tlsAlpn01 && !s.dns) {
    throw ProvisionError(path,
                         "no challenge left to answer (HTTP-01 and TLS-ALPN-01 are disabled or their "
                         "ports are taken by a server of the other kind; DNS-01 needs a provider in "
                         "`tls { dns ... }` or `acme_dns`)");
  }
}

constexpr const char* kZeroSslDirectory = "https://acme.zerossl.com/v2/DV90";

// Issuer modules that run through the ACME client (zerossl is ACME with fetched EAB).
bool acmeModule(const std::string& module) {
  return module == "acme" || module == "zerossl";
}

acme::AcmeIssuerSettings acmeSettings(const Json* issuer, const std::string& path,
                                      const ChallengePorts& ports) {
  acme::AcmeIssuerSettings s;
  s.ca = acme::kLetsEncryptDirectory;
  const Json none = Json::object();
  const Json& challenges = issuer != nullptr && issuer->is_object() && issuer->contains("challenges")
                               ? (*issuer)["challenges"]
                               : none;
  const std::string cpath = path + ".challenges";
  if (!challenges.is_object()) {
    throw ProvisionError(cpath, "expected an object");
  }
  const std::string bindHost = stringField(challenges, "bind_host", cpath);
  placeChallenge(true, challengeOptions(challenges, "http", cpath), ports, bindHost, cpath, s);
  placeChallenge(false, challengeOptions(challenges, "tls-alpn", cpath), ports, bindHost, cpath, s);
  if (issuer == nullptr) {
    requireAChallenge(s, cpath);
    return s;
  }
  const Json& j = *issuer;
  requireKnown(j, path,
               {"module", "ca", "email", "external_account", "preferred_chains", "challenges",
                "trusted_roots_pem_files", "profile", "api_key"});
  if (j.value("module", "acme") != "zerossl" && j.contains("api_key")) {
    throw ProvisionError(path + ".api_key", "'api_key' is not supported yet");
  }
  s.profile = stringField(j, "profile", path);
  if (j.value("module", "acme") == "zerossl") {
    // Caddy 2.6's zerossl issuer: ACME at ZeroSSL, EAB credentials from ZeroSSL's API.
    s.ca = kZeroSslDirectory;
    s.zeroSsl = true;
    s.zeroSslApiKey = stringField(j, "api_key", path);
  }
  if (const std::string ca = stringField(j, "ca", path); !ca.empty()) {
    s.ca = ca;
  }
  s.email = stringField(j, "email", path);
  const auto roots = stringList(j, "trusted_roots_pem_files", path);
  if (roots.size() > 1) {
    throw ProvisionError(path + ".trusted_roots_pem_files", "more than one root file is not supported yet");
  }
  if (!roots.empty()) {
    s.caRoot = roots.front();
    checkTrustedRoots(s.caRoot, path + ".trusted_roots_pem_files");
  }
  if (j.contains("external_account")) {
    const std::string p = path + ".external_account";
    requireKnown(j["external_account"], p, {"key_id", "mac_key"});
    s.eab = acme::ExternalAccountBinding{stringField(j["external_account"], "key_id", p),
                                         stringField(j["external_account"], "mac_key", p)};
  }
  if (j.contains("preferred_chains")) {
    const std::string p = path + ".preferred_chains";
    const Json& pc = j["preferred_chains"];
    requireKnown(pc, p, {"smallest", "root_common_name", "any_common_name"});
    s.preferredChains.smallest = pc.value("smallest", false);
    s.preferredChains.rootCommonNames = stringList(pc, "root_common_name", p);
    s.preferredChains.anyCommonNames = stringList(pc, "any_common_name", p);
  }
  if (j.contains("challenges")) {
    const std::string p = path + ".challenges";
    const Json& c = j["challenges"];
    requireKnown(c, p, {"http", "tls-alpn", "bind_host", "dns"});
    if (c.contains("dns")) {
      try {
        s.dns = acme::dns::parseDnsChallenge(c["dns"]);
      } catch (const acme::dns::DnsSettingsError& e) {
        throw ProvisionError(p + ".dns" + (e.path.empty() ? "" : "." + e.path), e.what());
      }
    }
  }
  requireAChallenge(s, cpath);
  return s;
}

}  // namespace

IssuerChoice chooseIssuer(const std::string& name, const TlsAppRuntime& tls) {
  IssuerChoice out;
  for (size_t i = 0; i < tls.policies.size(); ++i) {
    const auto* p = tls.policies[i];
    if (!covers(*p, name)) {
      continue;
    }
    out.policy = p;
    if (!p->issuers.empty()) {
      // Caddy tries the issuers in order; the first decides (later ones are fallbacks).
      out.issuer = &p->issuers.front();
      out.path = "apps.tls.automation.policies[" + std::to_string(i) + "].issuers[0]";
      out.kind = out.issuer->is_object() && out.issuer->value("module", "") == "internal"
                     ? IssuerKind::Internal
                     : IssuerKind::Acme;
      return out;
    }
    break;
  }
  out.kind = qualifiesForPublicCertificate(name) ? IssuerKind::Acme : IssuerKind::Internal;
  return out;
}

IssuerChoice chooseAutoHttpsIssuer(const std::string& name, const TlsAppRuntime& tls) {
  if (qualifiesForPublicCertificate(name)) {
    return chooseIssuer(name, tls);
  }
  auto sameName = [&](const std::string& s) {
    return std::equal(s.begin(), s.end(), name.begin(), name.end(),
                      [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); });
  };
  for (const auto* p : tls.policies) {
    if (std::any_of(p->subjects.begin(), p->subjects.end(), sameName)) {
      return chooseIssuer(name, tls);  // a policy of the user's names it: that one decides
    }
  }
  IssuerChoice out;
  out.kind = IssuerKind::Internal;  // issuer null: the internal defaults (the `local` CA)
  for (const auto* p : tls.policies) {
    if (p->subjects.empty()) {
      out.policy = p;  // Caddy copies the catch-all policy, issuers replaced
      break;
    }
  }
  return out;
}

namespace {

// Caddy's renewal_window_ratio of the policy (a float in (0,1)); a third by default.
double renewalWindowRatio(const config::AutomationPolicy* policy, const std::string& path) {
  if (policy == nullptr || !policy->extra.contains("renewal_window_ratio")) {
    return acme::kDefaultRenewalWindowRatio;
  }
  const Json& r = policy->extra["renewal_window_ratio"];
  if (!r.is_number() || r.get<double>() <= 0 || r.get<double>() >= 1) {
    throw ProvisionError(path + ".renewal_window_ratio", "must be a number between 0 and 1 (exclusive)");
  }
  return r.get<double>();
}

// JSON path of an automation policy, for errors about its fields.
std::string policyPath(const config::AutomationPolicy* policy, const TlsAppRuntime& tls) {
  const auto it = std::find(tls.policies.begin(), tls.policies.end(), policy);
  if (policy == nullptr || it == tls.policies.end()) {
    return "apps.tls.automation";
  }
  return "apps.tls.automation.policies[" + std::to_string(it - tls.policies.begin()) + "]";
}

}  // namespace

// renew_interval / ocsp_interval: Caddy hands them to certmagic, which takes zero or less as
// its default; a positive one below a second is a second here (timers tick in loop time).
std::chrono::seconds automationInterval(const config::Config& config, const char* key,
                                        std::chrono::seconds fallback) {
  if (!config.tls || !config.tls->automationExtra.contains(key)) {
    return fallback;
  }
  const Json& value = config.tls->automationExtra[key];
  const auto d = parseDuration(value, std::string("apps.tls.automation.") + key);
  if (durationSign(value) <= 0) {
    return fallback;
  }
  return std::max<std::chrono::seconds>(std::chrono::duration_cast<std::chrono::seconds>(d),
                                        std::chrono::seconds(1));
}

namespace {

// A local issuer (`issuer internal` after an ACME issuer) signing with the pki app's CA.
acme::AcmeIssuerSettings internalFallback(const config::Config& config, const Json& issuer,
                                          const std::string& path) {
  const InternalIssuerSettings settings = internalIssuerSettings(issuer, path);
  std::vector<std::string> warnings;  // trust-store notes: printed where `tls internal` is provisioned
  acme::AcmeIssuerSettings s;
  s.ca = "internal:" + settings.ca;
  s.local = std::make_shared<acme::internal::InternalIssuer>(
      loadPkiCa(config, settings.ca, warnings, path + ".ca"), settings.lifetime, settings.signWithRoot);
  return s;
}

}  // namespace

// The policy's disable_ocsp_stapling (global `ocsp_stapling off` sets it on every policy).
bool ocspStaplingOf(const config::AutomationPolicy* policy, const std::string& path) {
  if (policy == nullptr || !policy->extra.contains("disable_ocsp_stapling")) {
    return true;
  }
  const Json& v = policy->extra["disable_ocsp_stapling"];
  if (!v.is_boolean()) {
    throw ProvisionError(path + ".disable_ocsp_stapling", "expected a boolean");
  }
  return !v.get<bool>();
}

std::shared_ptr<acme::CertificateManager> provisionCertificateManager(const config::Config& config,
                                                                      const std::vector<std::string>& names,
                                                                      const TlsAppRuntime& tls,
                                                                      const ChallengePorts& ports) {
  acme::ManagerConfig mc;
  std::map<std::string, size_t> issuerIndex;  // issuer JSON -> index in mc.issuers
  auto indexOf = [&](const IssuerChoice& choice, const std::string& where) {
    const std::string module = choice.issuer != nullptr ? choice.issuer->value("module", "") : "acme";
    if (!acmeModule(module) && module != "internal") {
      throw ProvisionError(where + ".module", "issuer '" + module + "' is not supported yet");
    }
    const std::string key = choice.issuer != nullptr ? choice.issuer->dump() : "";
    auto it = issuerIndex.find(key);
    if (it == issuerIndex.end()) {
      // `tls internal { on_demand }`: the local CA signs at handshake time.
      mc.issuers.push_back(module == "internal" ? internalFallback(config, *choice.issuer, where)
                                                : acmeSettings(choice.issuer, where, ports));
      it = issuerIndex.emplace(key, mc.issuers.size() - 1).first;
    }
    return it->second;
  };
  mc.onDemand = provisionOnDemand(config, tls, indexOf);
  if (names.empty() && !mc.onDemand) {
    return nullptr;
  }
  mc.storageRoot = storageRoot(config);
  // Certificate events belong to the default log, as Caddy's tls loggers do.
  mc.logSink = [](const char* level, const std::string& logger, const std::string& msg,
                  nlohmann::json fields) {
    log::logOwn(log::parseLevel(level).value_or(log::Level::Info), logger, msg,
                fields.is_object() ? config::Json(fields) : config::Json::object());
  };
  for (const auto& name : names) {
    const IssuerChoice choice = chooseIssuer(name, tls);
    const std::string where = choice.path.empty() ? "apps.tls.automation" : choice.path;
    if (choice.kind == IssuerKind::Internal) {
      throw ProvisionError(where,
                           "automatic certificate for " + name +
                               ": tls internal not supported yet (load a certificate with `tls CERT KEY`)");
    }
    const std::string module = choice.issuer != nullptr ? choice.issuer->value("module", "") : "acme";
    if (!acmeModule(module)) {
      throw ProvisionError(where + ".module", "automatic certificate for " + name + ": issuer '" + module +
                                                  "' is not supported yet");
    }
    acme::ManagedCertificate mcert;
    mcert.name = name;
    if (choice.policy != nullptr && !choice.policy->keyType.empty()) {
      auto kt = acme::parseKeyType(choice.policy->keyType);
      if (!kt) {
        throw ProvisionError(where, "unsupported key_type '" + choice.policy->keyType + "'");
      }
      mcert.keyType = *kt;
    }
    const std::string policyAt = policyPath(choice.policy, tls);
    mcert.renewalWindowRatio = renewalWindowRatio(choice.policy, policyAt);
    mcert.ocspStapling = ocspStaplingOf(choice.policy, policyAt);
    // The policy's issuers, tried in order within one attempt (Caddy's issuer fallback).
    auto issuerAt = [&](const Json* issuer, const std::string& path) {
      const std::string key = issuer != nullptr ? issuer->dump() : "";
      auto it = issuerIndex.find(key);
      if (it == issuerIndex.end()) {
        const bool internal = issuer != nullptr && issuer->value("module", "") == "internal";
        mc.issuers.push_back(internal ? internalFallback(config, *issuer, path)
                                      : acmeSettings(issuer, path, ports));
        it = issuerIndex.emplace(key, mc.issuers.size() - 1).first;
      }
      return it->second;
    };
    mcert.issuer = issuerAt(choice.issuer, where);
    const size_t issuers = choice.policy != nullptr ? choice.policy->issuers.size() : 0;
    for (size_t i = 1; i < issuers; ++i) {
      const Json& next = choice.policy->issuers[i];
      const std::string path = where.substr(0, where.rfind('[')) + "[" + std::to_string(i) + "]";
      const std::string nextModule = next.is_object() ? next.value("module", "") : "";
      if (!acmeModule(nextModule) && nextModule != "internal") {
        throw ProvisionError(path + ".module", "automatic certificate for " + name + ": issuer '" +
                                                   nextModule + "' is not supported yet");
      }
      mcert.fallbackIssuers.push_back(issuerAt(&next, path));
    }
    // A wildcard without a DNS provider starts as in Caddy: its orders fail (the CA offers
    // only dns-01 for it) and say so in the log, while every other name is served.
    mc.certificates.push_back(std::move(mcert));
  }
  mc.renewInterval = automationInterval(config, "renew_interval", acme::kDefaultRenewInterval);
  mc.ocspInterval = automationInterval(config, "ocsp_interval", acme::kDefaultOcspInterval);
  return std::make_shared<acme::CertificateManager>(std::move(mc), tls.store);
}

}  // namespace gatehouse::provision
