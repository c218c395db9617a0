#include "provision/auto_https.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "crypto/private_key.h"
#include "dns/dns_challenge_settings.h"
#include "gatehouse/config/policy_marker.h"
#include "provision/managed_certificates.h"
#include "provision/on_demand_provision.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "provision/tailscale_names.h"
#include "tls/connection_policy.h"

namespace gatehouse::provision {

using config::Json;

namespace {

// The standard HTTPS port, never named in a redirect.
constexpr uint16_t kDefaultHttpsPort = 443;

uint16_t portOption(const config::HttpApp& app, const char* key, uint16_t fallback) {
  if (!app.options.contains(key)) {
    return fallback;
  }
  const Json& v = app.options[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 65535) {
    throw ProvisionError(std::string("apps.http.") + key, "expected a port number");
  }
  const auto port = v.get<uint16_t>();
  return port == 0 ? fallback : port;
}

// certmagic.SubjectQualifiesForCert, roughly: a name Caddy would get a certificate for.
bool qualifiesForCertificate(const std::string& host) {
  if (host.empty() || host.find('{') != std::string::npos) {
    return false;
  }
  if (host.front() == '.' || host.back() == '.' || host.find("..") != std::string::npos) {
    return false;
  }
  static constexpr std::string_view kBad = " ~`!@#$%^&()+=;,\"'<>?/\\|";
  if (host.find_first_of(kBad) != std::string::npos) {
    return false;
  }
  return host.find('*') == std::string::npos ||
         (host.starts_with("*.") && host.find('*', 1) == std::string::npos);
}

bool skipped(const std::string& name, const std::vector<std::string>& list) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& s) { return tls::matchesServerName(s, name); });
}

// Network, host and port of a listen address, port range collapsed to its first port.
struct Address {
  std::string network;
  std::string host;
  uint16_t port = 0;
  [[nodiscard]] std::string str() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return (network == "tcp" ? "" : network + "/") + h + ":" + std::to_string(port);
  }
  auto operator<=>(const Address&) const = default;
};

Address addressOf(const std::string& listen, const std::string& path) {
  std::vector<ListenSpec> ignored;
  ListenSpec spec = parseListen(listen, path, ignored);
  return Address{spec.network, spec.host, spec.port};
}

std::vector<std::string> hostsOf(const config::Server& srv) {
  std::vector<std::string> out;
  for (const auto& route : srv.routes) {
    for (const auto& set : route.match) {
      if (!set.is_object() || !set.contains("host") || !set["host"].is_array()) {
        continue;
      }
      for (const auto& h : set["host"]) {
        if (h.is_string() && std::find(out.begin(), out.end(), h.get<std::string>()) == out.end()) {
          out.push_back(h.get<std::string>());
        }
      }
    }
  }
  return out;
}

bool allListenOn(const config::Server& srv, uint16_t port, const std::string& path) {
  return std::all_of(srv.listen.begin(), srv.listen.end(),
                     [&](const std::string& l) { return addressOf(l, path).port == port; });
}

// A 308 to the same host and URI over HTTPS. As Caddy 2.6.2, the port is named only when it
// is none of 80, 443 and the configured http_port/https_port: https_port is an internal
// listener setting (a port mapping may sit in front), so the catch-all never names it.
config::Route redirectRoute(std::vector<std::string> hosts, uint16_t targetPort, uint16_t httpListen,
                            uint16_t httpsListen) {
  std::string to = "https://{http.request.host}";
  if (targetPort != httpListen && targetPort != httpsListen && targetPort != 80 &&
      targetPort != kDefaultHttpsPort) {
    to += ":" + std::to_string(targetPort);
  }
  to += "{http.request.uri}";
  Json match = Json::object();
  match["protocol"] = "http";
  if (!hosts.empty()) {
    match["host"] = hosts;
  }
  config::Handler h;
  h.name = "static_response";
  h.fields["status_code"] = 308;
  h.fields["headers"] = Json{{"Location", Json::array({to})}, {"Connection", Json::array({"close"})}};
  h.fields["close"] = true;
  config::Route r;
  r.match.push_back(std::move(match));
  r.handle.push_back(std::move(h));
  return r;
}

// The policy's renewal_window_ratio: certmagic applies it to every certificate it manages,
// the local CA's included (a global `renewal_window_ratio` next to `tls internal` sites).
double internalRenewalRatio(const config::AutomationPolicy* policy, const std::string& path) {
  if (policy == nullptr || !policy->extra.contains("renewal_window_ratio")) {
    return 1.0 / 3;
  }
  const Json& r = policy->extra["renewal_window_ratio"];
  if (!r.is_number() || r.get<double>() <= 0 || r.get<double>() >= 1) {
    throw ProvisionError(path.substr(0, path.find(".issuers[")) + ".renewal_window_ratio",
                         "must be a number between 0 and 1 (exclusive)");
  }
  return r.get<double>();
}

// Sends `name` to the issuer its automation policy chooses (chooseIssuer decides for both);
// `site`: found in a site by automatic HTTPS, not listed in `certificates.automate`.
void addManagedName(const std::string& name, const TlsAppRuntime& tls, AutoHttpsPlan& plan, bool site) {
  if (onDemandName(name, tls)) {
    return;  // certmagic defers on-demand names to their first handshake
  }
  const IssuerChoice choice = site ? chooseAutoHttpsIssuer(name, tls) : chooseIssuer(name, tls);
  if (choice.kind == IssuerKind::Internal) {
    const std::string path = choice.path.empty() ? "apps.tls.automation.policies" : choice.path;
    const bool known = std::any_of(plan.internal.begin(), plan.internal.end(),
                                   [&](const InternalIssuerChoice& c) { return c.name == name; });
    if (!known) {
      plan.internal.push_back(
          InternalIssuerChoice{name, choice.issuer != nullptr ? *choice.issuer : Json{{"module", "internal"}},
                               path, internalRenewalRatio(choice.policy, path)});
    }
    return;
  }
  if (std::find(plan.managedNames.begin(), plan.managedNames.end(), name) == plan.managedNames.end()) {
    plan.managedNames.push_back(name);
  }
}

// An ACME issuer's DNS challenge: Caddy loads its provider module when the issuer is
// provisioned, so an unknown provider (or bad provider settings) stops start-up.
void checkIssuerDns(const Json& iss, const std::string& path) {
  const Json* challenges = iss.contains("challenges") ? &iss["challenges"] : nullptr;
  if (challenges != nullptr && !challenges->is_object() && !challenges->is_null()) {
    throw ProvisionError(path + ".challenges", std::string("json: cannot unmarshal ") +
                                                   challenges->type_name() +
                                                   " into Go struct field ACMEIssuer.challenges of type "
                                                   "caddytls.ChallengesConfig");
  }
  if (challenges == nullptr || !challenges->is_object() || !challenges->contains("dns")) {
    return;
  }
  try {
    acme::dns::parseDnsChallenge((*challenges)["dns"]);
  } catch (const acme::dns::DnsSettingsError& e) {
    throw ProvisionError(path + ".challenges.dns" + (e.path.empty() ? "" : "." + e.path), e.what());
  }
}

// Caddy provisions every policy's issuers when the tls app starts, whether or not a name
// ends up using them: an ACME issuer's trusted root file that cannot be read, or its DNS
// provider that does not exist, stops start-up even in a catch-all policy no site needs yet
// (the other issuer settings are read when a name first uses the policy, in
// provisionCertificateManager).
void checkIssuers(const config::AutomationPolicy& p, const std::string& path) {
  for (size_t j = 0; j < p.issuers.size(); ++j) {
    const Json& iss = p.issuers[j];
    const std::string where = path + ".issuers[" + std::to_string(j) + "]";
    const Json* name = iss.is_object() && iss.contains("module") ? &iss["module"] : nullptr;
    if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
      throw ProvisionError(where, "module name not specified with key 'module'");
    }
    const std::string module = name->get<std::string>();
    if (module != "acme" && module != "zerossl" && module != "internal") {
      throw ProvisionError(where + ".module", "unknown module: tls.issuance." + module);
    }
    if (module == "acme" || module == "zerossl") {
      checkIssuerDns(iss, where);
    }
    if ((module != "acme" && module != "zerossl") || !iss.contains("trusted_roots_pem_files")) {
      continue;
    }
    const std::string rootsPath = path + ".issuers[" + std::to_string(j) + "].trusted_roots_pem_files";
    const Json& roots = iss["trusted_roots_pem_files"];
    if (!roots.is_array()) {
      throw ProvisionError(rootsPath, "expected an array of strings");
    }
    for (const auto& file : roots) {
      if (!file.is_string()) {
        throw ProvisionError(rootsPath, "expected an array of strings");
      }
      checkTrustedRoots(file.get<std::string>(), rootsPath);
    }
  }
}

}  // namespace

uint16_t httpPort(const config::HttpApp& app) {
  return portOption(app, "http_port", 80);
}
uint16_t httpsPort(const config::HttpApp& app) {
  return portOption(app, "https_port", 443);
}

void checkAutomationPolicies(const TlsAppRuntime& tls) {
  // As caddy's tls app validates the list: only the first policy for a host (or the first
  // catch-all) is ever used, so a second one is refused as a mistake.
  bool hasCatchAll = false;
  std::map<std::string, size_t> firstPolicyOf;
  for (size_t i = 0; i < tls.policies.size(); ++i) {
    const auto* p = tls.policies[i];
    const std::string path = "apps.tls.automation.policies[" + std::to_string(i) + "]";
    // The Caddyfile adapter's catch-all of global ACME options (marked in memory, newer
    // Caddy's layout) may follow a hostless site's own catch-all: it is never used, not refused.
    if (p->subjects.empty() && !p->extra.contains(config::kProvisionWhenUsed)) {
      if (hasCatchAll) {
        throw ProvisionError(
            path, "automation policy " + std::to_string(i) +
                      " is the second policy that acts as default/catch-all, but will never be used");
      }
      hasCatchAll = true;
    }
    for (const auto& host : p->subjects) {
      auto [it, fresh] = firstPolicyOf.emplace(host, i);
      if (!fresh) {
        throw ProvisionError(path + ".subjects",
                             "automation policy " + std::to_string(i) +
                                 ": cannot apply more than one automation policy to host: " + host +
                                 " (first match in policy " + std::to_string(it->second) + ")");
      }
    }
  }
  for (size_t i = 0; i < tls.policies.size(); ++i) {
    const auto* p = tls.policies[i];
    const std::string path = "apps.tls.automation.policies[" + std::to_string(i) + "]";
    for (const auto& [key, _] : p->extra.items()) {
      // Read by the certificate manager's provisioning (managed_certificates.cpp).
      if (key != "renewal_window_ratio" && key != "disable_ocsp_stapling" &&
          key != config::kProvisionWhenUsed) {
        throw ProvisionError(path + "." + key, "'" + key + "' is not supported yet");
      }
    }
    // Caddy provisions every policy, used or not (auto_https off too), and refuses a key type
    // it does not know there.
    if (!p->keyType.empty() && !acme::parseKeyType(p->keyType)) {
      throw ProvisionError(path + ".key_type", "unrecognized key type: " + p->keyType);
    }
    if (!p->extra.contains(config::kProvisionWhenUsed)) {
      checkIssuers(*p, path);
    }
  }
}

AutoHttpsPlan planAutomaticHttps(const config::HttpApp& app, const TlsAppRuntime& tls) {
  AutoHttpsPlan plan;
  plan.servers = app.servers;
  for (const auto& name : tls.automate) {
    addManagedName(name, tls, plan, false);
  }
  const uint16_t http = httpPort(app);
  const uint16_t https = httpsPort(app);
  auto index = tls.store->snapshot();
  std::map<std::string, Address> redirects;  // domain -> HTTPS address it redirects to
  // The logs of an HTTPS server (the last one that has any), which Caddy gives to the
  // remaining_auto_https_redirects server: its redirects are logged as that site's.
  Json redirectLogs;

  for (auto& [name, srv] : plan.servers) {
    const std::string path = "apps.http.servers." + name;
    const config::AutomaticHttps ah = srv.automaticHttps.value_or(config::AutomaticHttps{});
    if (ah.disable || allListenOn(srv, http, path + ".listen")) {
      continue;
    }
    if (srv.tlsConnectionPolicies.is_null() && allListenOn(srv, https, path + ".listen")) {
      srv.tlsConnectionPolicies = Json::array({Json::object()});
    }
    std::vector<std::string> domains;
    for (const auto& d : hostsOf(srv)) {
      if (!skipped(d, ah.skip)) {
        domains.push_back(d);
      }
    }
    if ((!domains.empty() || !srv.tlsConnectionPolicies.is_null()) && !srv.logs.is_null()) {
      redirectLogs = srv.logs;
    }
    if (domains.empty()) {
      continue;
    }
    for (const auto& d : domains) {
      if (!qualifiesForCertificate(d) || skipped(d, ah.skipCertificates) || ah.disableCertificates) {
        continue;
      }
      std::string lower = d;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (!ah.ignoreLoadedCertificates && !index->lookup(lower).empty()) {
        continue;  // a loaded certificate covers it: nothing to manage
      }
      if (tailscaleName(lower)) {
        checkTailscaleName(lower, tls, path);
        continue;  // Caddy never orders these; the policy's managers serve them
      }
      addManagedName(lower, tls, plan, true);
    }
    if (srv.tlsConnectionPolicies.is_null()) {
      srv.tlsConnectionPolicies = Json::array({Json::object()});
    }
    if (ah.disableRedirects) {
      continue;
    }
    for (size_t li = 0; li < srv.listen.size(); ++li) {
      const Address addr = addressOf(srv.listen[li], path + ".listen[" + std::to_string(li) + "]");
      if (addr.network == "unix") {
        // Caddy 2.6.2 files the redirect under the same socket, whose server speaks TLS:
        // no plain-HTTP request ever reaches it, so no redirect listener exists.
        continue;
      }
      for (const auto& d : domains) {
        auto it = redirects.find(d);
        if (it == redirects.end() || addr.port == https) {
          redirects[d] = addr;
        }
      }
    }
  }
  if (redirects.empty()) {
    return plan;
  }
  // Group domains by the HTTPS address they redirect to; serve each group from the same
  // interface on the HTTP port.
  std::map<Address, std::vector<std::string>> byAddress;
  for (const auto& [d, addr] : redirects) {
    byAddress[addr].push_back(d);
  }
  std::map<Address, std::vector<config::Route>> redirectServers;
  for (auto& [addr, domains] : byAddress) {
    Address from = addr;
    from.port = http;
    redirectServers[from].push_back(redirectRoute(domains, addr.port, http, https));
  }
  std::vector<std::string> remainingListen;
  std::vector<config::Route> remainingRoutes;
  for (auto& [from, routes] : redirectServers) {
    bool merged = false;
    for (auto& [name, srv] : plan.servers) {
      const std::string path = "apps.http.servers." + name + ".listen";
      if (std::any_of(srv.listen.begin(), srv.listen.end(),
                      [&](const auto& l) { return addressOf(l, path) == from; })) {
        // A configured server already listens there: its own routes come first, as Caddy.
        srv.routes.insert(srv.routes.end(), routes.begin(), routes.end());
        srv.routes.push_back(redirectRoute({}, https, http, https));
        merged = true;
        break;
      }
    }
    if (!merged) {
      remainingListen.push_back(from.str());
      remainingRoutes.insert(remainingRoutes.end(), routes.begin(), routes.end());
    }
  }
  if (!remainingListen.empty()) {
    config::Server redirect;
    redirect.listen = std::move(remainingListen);
    redirect.routes = std::move(remainingRoutes);
    redirect.routes.push_back(redirectRoute({}, https, http, https));
    redirect.logs = std::move(redirectLogs);
    plan.servers.emplace_back("remaining_auto_https_redirects", std::move(redirect));
  }
  return plan;
}

}  // namespace gatehouse::provision
