// The `tls` directive (Caddy's parseTLS): a site's connection policy, certificate loaders,
// issuers and automation settings, as "tls.*" config values for buildTlsApp and the servers.
//
// tls [<email>|internal|force_automate]|[<cert_file> <key_file>] {
//     protocols <min> [<max>]
//     ciphers <cipher_suites...>
//     curves <curves...>
//     client_auth { ... }
//     alpn <values...>
//     load <paths...>
//     ca <acme_ca_endpoint>
//     ca_root <pem_file>
//     key_type ed25519|p256|p384|rsa2048|rsa4096
//     dns <provider_name> [...]
//     propagation_delay <duration>
//     propagation_timeout <duration>
//     resolvers <dns_servers...>
//     dns_ttl <duration>
//     dns_challenge_override_domain <domain>
//     on_demand
//     reuse_private_keys
//     force_automate
//     renewal_window_ratio <ratio>
//     eab <key_id> <mac_key>
//     issuer <module_name> [...]
//     get_certificate <module_name> [...]
//     insecure_secrets_log <log_file>
// }
#include <algorithm>
#include <set>

#include "directives/tls_directive.h"
#include "options/option_util.h"
#include "options/tls_modules.h"

namespace gatehouse::parser::tls {
namespace {

using options::durationArg;
using options::oneArg;
using options::onlyArg;

struct TlsSettings {
  Json cp = Json::object();
  Json fileLoader = Json::array();
  Json folderLoader = Json::array();
  Json anyTag = Json::array();
  std::optional<Json> acme;  // implicit ACME issuer settings
  bool internal = false;
  Json internalIssuer;
  Json issuers = Json::array();
  Json managers = Json::array();
  std::string keyType;
  bool onDemand = false;
  bool reuseKeys = false;
  bool forceAutomate = false;
  std::optional<double> renewalWindowRatio;
  std::vector<std::string> dnsOptions;  // DNS challenge options set without a provider
  bool dnsProvider = false;

  Json& acmeIssuer() {
    if (!acme)
      acme = options::acmeIssuer();
    return *acme;
  }
  Json& dnsChallenge() {
    Json& iss = acmeIssuer();
    if (!iss.contains("challenges"))
      iss["challenges"] = Json::object();
    if (!iss["challenges"].contains("dns"))
      iss["challenges"]["dns"] = Json::object();
    return iss["challenges"]["dns"];
  }
};

bool supportedProtocol(const std::string& p) {
  return p == "tls1.2" || p == "tls1.3";
}

bool supportedCurve(const std::string& c) {
  static const std::set<std::string> kCurves = {"x25519", "secp256r1", "secp384r1", "secp521r1",
                                                "x25519mlkem768"};
  return kCurves.count(c) > 0;
}

bool supportedCipher(const std::string& c) {
  static const std::set<std::string> kCiphers = {
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
      "TLS_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_RSA_WITH_AES_128_CBC_SHA256",
      "TLS_RSA_WITH_AES_128_CBC_SHA",
      "TLS_RSA_WITH_AES_256_CBC_SHA",
      "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
      "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
  };
  return kCiphers.count(c) > 0;
}

// The first line: an email, `internal`, `force_automate`, or a certificate and key file.
void parseFirstLine(Helper& h, const std::vector<std::string>& args, TlsSettings& s) {
  if (args.size() == 1) {
    if (args[0] == "internal") {
      s.internal = true;
      s.internalIssuer = Json{{"module", "internal"}};
    } else if (args[0] == "force_automate") {
      s.forceAutomate = true;
    } else if (args[0].find('@') == std::string::npos) {
      throw h.err("single argument must either be 'internal', 'force_automate', or an email address");
    } else {
      s.acmeIssuer()["email"] = args[0];
    }
  } else if (args.size() == 2) {
    // Each certificate file is loaded once and tagged once, so that every site naming it
    // selects the same tag (a second load would replace the first tag in the cache).
    Json& tags = h.state().blockState["tlsCertTags"];
    if (!tags.is_object())
      tags = Json::object();
    std::string tag;
    if (tags.contains(args[0])) {
      tag = tags[args[0]].get<std::string>();
    } else {
      tag = "cert" + std::to_string(tags.size());
      s.fileLoader.push_back(Json{{"certificate", args[0]}, {"key", args[1]}, {"tags", {tag}}});
      tags[args[0]] = tag;
    }
    s.anyTag.push_back(tag);
  } else if (args.size() > 2) {
    throw h.argErr();
  }
}

// Connection policy subdirectives. False when `key` is not one.
bool parseConnectionOption(Helper& h, const std::string& key, TlsSettings& s) {
  if (key == "protocols") {
    auto args = h.remainingArgs();
    if (args.empty())
      throw h.err("protocols requires one or two arguments");
    for (size_t i = 0; i < args.size() && i < 2; ++i) {
      if (!supportedProtocol(args[i])) {
        throw h.err("wrong protocol name or protocol not supported: '" + args[i] + "'");
      }
      s.cp[i == 0 ? "protocol_min" : "protocol_max"] = args[i];
    }
  } else if (key == "ciphers") {
    while (h.nextArg()) {
      if (!supportedCipher(h.val())) {
        throw h.err("wrong cipher suite name or cipher suite not supported: '" + h.val() + "'");
      }
      s.cp["cipher_suites"].push_back(h.val());
    }
  } else if (key == "curves") {
    while (h.nextArg()) {
      if (!supportedCurve(h.val()))
        throw h.err("Wrong curve name or curve not supported: '" + h.val() + "'");
      s.cp["curves"].push_back(h.val());
    }
  } else if (key == "alpn") {
    auto args = h.remainingArgs();
    if (args.empty())
      throw h.argErr();
    s.cp["alpn"] = args;
  } else if (key == "client_auth") {
    Dispenser sub = h.newFromNextSegment();
    sub.next();
    s.cp["client_authentication"] = parseClientAuth(sub);
  } else if (key == "insecure_secrets_log") {
    s.cp["insecure_secrets_log"] = oneArg(h);
  } else {
    return false;
  }
  return true;
}

// The one argument of a subdirective read as caddy 2.6.2 reads key_type, ca, ca_root and
// dns_challenge_override_domain: the whole rest of the line, so a wrong count is reported
// after its last token (a quoted token spanning lines counts as on the line).
std::string soleRemainingArg(Helper& h) {
  auto args = h.remainingArgs();
  if (args.size() != 1)
    throw h.argErr();
  return args[0];
}

// DNS challenge subdirectives of the implicit ACME issuer. False when `key` is not one.
bool parseDnsOption(Helper& h, const std::string& key, TlsSettings& s) {
  if (key == "dns") {
    // A bare `dns` enables the DNS challenge with the globally configured provider.
    if (!h.nextArg()) {
      if (!s.dnsProvider)
        throw h.argErr();
      s.dnsChallenge();
      return true;
    }
    s.dnsChallenge()["provider"] = options::parseDnsProvider(h);
    s.dnsProvider = true;
    return true;
  }
  if (key == "resolvers") {
    auto args = h.remainingArgs();
    if (args.empty())
      throw h.argErr();
    s.dnsChallenge()["resolvers"] = args;
  } else if (key == "propagation_delay" || key == "dns_ttl") {
    std::string text = onlyArg(h);
    s.dnsChallenge()[key == "dns_ttl" ? "ttl" : key] =
        durationArg(h, text, "invalid " + key + " duration " + text);
  } else if (key == "propagation_timeout") {
    std::string text = onlyArg(h);
    s.dnsChallenge()[key] = text == "-1" ? -1 : durationArg(h, text, "invalid " + key + " duration " + text);
  } else if (key == "dns_challenge_override_domain") {
    s.dnsChallenge()["override_domain"] = soleRemainingArg(h);
    return true;
  } else {
    return false;
  }
  if (key != "resolvers")
    s.dnsOptions.push_back(key);
  return true;
}

// Automation subdirectives (issuers, key type, managers ...). False when `key` is not one.
bool parseAutomationOption(Helper& h, const std::string& key, TlsSettings& s) {
  if (key == "load") {
    for (auto& p : h.remainingArgs())
      s.folderLoader.push_back(p);
  } else if (key == "ca") {
    s.acmeIssuer()["ca"] = soleRemainingArg(h);
  } else if (key == "ca_root") {
    options::appendUnique(s.acmeIssuer()["trusted_roots_pem_files"], soleRemainingArg(h));
  } else if (key == "key_type") {
    s.keyType = soleRemainingArg(h);
  } else if (key == "eab") {
    auto args = h.remainingArgs();
    if (args.size() != 2)
      throw h.argErr();
    s.acmeIssuer()["external_account"] = {{"key_id", args[0]}, {"mac_key", args[1]}};
  } else if (key == "issuer") {
    oneArg(h);
    s.issuers.push_back(options::parseIssuer(h));
  } else if (key == "get_certificate") {
    oneArg(h);
    s.managers.push_back(options::parseCertManager(h));
  } else if (key == "on_demand" || key == "reuse_private_keys" || key == "force_automate") {
    if (h.nextArg())
      throw h.argErr();
    (key == "on_demand" ? s.onDemand : key == "reuse_private_keys" ? s.reuseKeys : s.forceAutomate) = true;
  } else if (key == "renewal_window_ratio") {
    std::string text = onlyArg(h);
    auto ratio = options::parseFloat(text);
    if (!ratio)
      throw h.err("parsing renewal_window_ratio: strconv.ParseFloat: parsing \"" + text +
                  "\": invalid syntax");
    if (*ratio <= 0 || *ratio >= 1)
      throw h.err("renewal_window_ratio must be between 0 and 1 (exclusive)");
    s.renewalWindowRatio = *ratio;
  } else {
    return false;
  }
  return true;
}

// The implicit ACME issuers: the default issuers (only one when a CA endpoint was given),
// each with the site's settings. Caddy 2.6.2 does not start from a global cert_issuer here.
Json implicitAcmeIssuers(const Json& site) {
  Json out = Json::array();
  Json defaults = site.contains("ca") ? Json::array({options::acmeIssuer()})
                                      : options::defaultIssuers(site.value("email", ""));
  for (const auto& iss : defaults)
    out.push_back(mergeAcmeIssuers(iss, site));
  return out;
}

std::vector<ConfigValue> buildValues(Helper& h, TlsSettings& s) {
  std::vector<ConfigValue> vals;
  auto add = [&vals](const char* cls, Json v) { vals.push_back(ConfigValue{cls, std::move(v), ""}); };
  if (!s.fileLoader.empty())
    add("tls.cert_loader", Json{{"load_files", s.fileLoader}});
  if (!s.folderLoader.empty())
    add("tls.cert_loader", Json{{"load_folders", s.folderLoader}});
  if (!s.issuers.empty() && (s.acme || s.internal)) {
    throw h.err(
        "cannot mix issuer subdirective (explicit issuers) with other issuer-specific subdirectives "
        "(implicit issuers)");
  }
  if (s.acme && s.internal)
    throw h.err("cannot create both ACME and internal certificate issuers");
  if (!s.issuers.empty()) {
    for (auto& iss : s.issuers)
      add("tls.cert_issuer", iss);
  } else if (s.acme) {
    for (auto& iss : implicitAcmeIssuers(*s.acme))
      add("tls.cert_issuer", iss);
  } else if (s.internal) {
    add("tls.cert_issuer", s.internalIssuer);
  }
  if (!s.keyType.empty())
    add("tls.key_type", s.keyType);
  if (s.onDemand)
    add("tls.on_demand", true);
  for (auto& m : s.managers)
    add("tls.cert_manager", m);
  if (s.reuseKeys)
    add("tls.reuse_private_keys", true);
  if (s.forceAutomate)
    add("tls.force_automate", true);
  if (s.renewalWindowRatio)
    add("tls.renewal_window_ratio", *s.renewalWindowRatio);
  if (!s.anyTag.empty())
    s.cp["certificate_selection"] = {{"any_tag", s.anyTag}};
  // Always a connection policy: using the directive at all turns TLS on for the site, even
  // for a hostless key such as ":5000" with only on-demand TLS.
  add("tls.connection_policy", s.cp);
  return vals;
}

}  // namespace

std::vector<ConfigValue> parseTls(Helper& h) {
  h.next();  // the directive name
  TlsSettings s;
  // A global DNS provider lets DNS challenge options stand without a local `dns`.
  s.dnsProvider = h.option("acme_dns") != nullptr || h.option("dns") != nullptr;
  std::vector<std::string> firstLine = h.remainingArgs();
  parseFirstLine(h, firstLine, s);
  bool hasBlock = false;
  while (h.nextBlock(0)) {
    hasBlock = true;
    const std::string key = h.val();
    if (!parseConnectionOption(h, key, s) && !parseDnsOption(h, key, s) &&
        !parseAutomationOption(h, key, s)) {
      throw h.err("unknown subdirective: " + key);
    }
  }
  if (!s.dnsOptions.empty() && !s.dnsProvider) {
    std::string list;
    for (const auto& o : s.dnsOptions)
      list += (list.empty() ? "" : ", ") + o;
    throw h.err("setting DNS challenge options [" + list +
                "] requires a DNS provider (set with the 'dns' subdirective or 'acme_dns' global option)");
  }
  if (firstLine.empty() && !hasBlock)
    throw h.argErr();
  return buildValues(h, s);
}

}  // namespace gatehouse::parser::tls
