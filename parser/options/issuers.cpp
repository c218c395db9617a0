// Certificate issuer modules (acme, internal, zerossl), certificate managers and chain
// preferences in the Caddyfile, as Caddy's caddytls modules parse them.
#include "options/option_util.h"
#include "options/tls_modules.h"

namespace gatehouse::parser::options {
namespace {

// The object at `key` inside `obj`, created when missing.
Json& child(Json& obj, const char* key) {
  if (!obj.contains(key) || !obj[key].is_object())
    obj[key] = Json::object();
  return obj[key];
}

// Go's strconv.Atoi gives a 64-bit int, and caddy adapt emits it as given (an int here cut
// 99999999999 to 1215752191); the port's range is checked where the config is loaded.
long long portArg(Dispenser& d) {
  std::string text = oneArg(d);
  auto port = parseInt(text);
  if (!port) {
    throw d.err("invalid port " + text + ": strconv.Atoi: parsing \"" + text + "\": invalid syntax");
  }
  return *port;
}

// propagation_timeout takes "-1" for "no timeout" besides durations.
int64_t propagationTimeoutArg(Dispenser& d) {
  std::string text = oneArg(d);
  if (text == "-1")
    return -1;
  return durationArg(d, text, "invalid propagation_timeout duration " + text);
}

// The DNS challenge subdirectives every ACME-style issuer shares. `dns` is the object they
// fill (challenges.dns for acme, cname_validation for zerossl). False when `key` is not one.
bool parseDnsChallengeOption(Dispenser& d, const std::string& key, Json& dns) {
  if (key == "dns") {
    oneArg(d);
    dns["provider"] = parseDnsProvider(d);
  } else if (key == "propagation_delay") {
    std::string text = oneArg(d);
    dns["propagation_delay"] = durationArg(d, text, "invalid propagation_delay duration " + text);
  } else if (key == "propagation_timeout") {
    dns["propagation_timeout"] = propagationTimeoutArg(d);
  } else if (key == "resolvers") {
    auto args = d.remainingArgs();
    if (args.empty())
      throw d.argErr();
    dns["resolvers"] = args;
  } else if (key == "dns_ttl") {
    std::string text = oneArg(d);
    dns["ttl"] = durationArg(d, text, "invalid dns_ttl duration " + text);
  } else if (key == "dns_challenge_override_domain") {
    dns["override_domain"] = onlyArg(d);
  } else {
    return false;
  }
  return true;
}

// One ACME issuer subdirective into `iss` / `challenges`; false when `key` is not one.
bool parseAcmeIssuerOption(Dispenser& d, const std::string& key, Json& iss, Json& challenges) {
  if (key == "lifetime") {
    std::string text = onlyArg(d);
    int64_t ns = durationArg(d, text, "invalid lifetime " + text);
    if (ns < 0)
      throw d.err("lifetime must be >= 0: " + text);
    iss["certificate_lifetime"] = ns;
  } else if (key == "dir") {
    if (iss.contains("ca"))
      throw d.err("directory is already specified: " + iss["ca"].get<std::string>());
    iss["ca"] = onlyArg(d);
  } else if (key == "test_dir") {
    iss["test_ca"] = onlyArg(d);
  } else if (key == "email") {
    iss["email"] = onlyArg(d);
  } else if (key == "profile") {
    iss["profile"] = onlyArg(d);
  } else if (key == "timeout") {
    std::string text = onlyArg(d);
    iss["acme_timeout"] = durationArg(d, text, "invalid timeout duration " + text);
  } else if (key == "disable_http_challenge" || key == "disable_tlsalpn_challenge") {
    if (d.nextArg())
      throw d.argErr();
    child(challenges, key == "disable_http_challenge" ? "http" : "tls-alpn")["disabled"] = true;
  } else if (key == "alt_http_port") {
    child(challenges, "http")["alternate_port"] = portArg(d);
  } else if (key == "alt_tlsalpn_port") {
    child(challenges, "tls-alpn")["alternate_port"] = portArg(d);
  } else if (key == "eab") {
    auto args = d.remainingArgs();
    if (args.size() != 2)
      throw d.argErr();
    iss["external_account"] = {{"key_id", args[0]}, {"mac_key", args[1]}};
  } else if (key == "trusted_roots") {
    iss["trusted_roots_pem_files"] = d.remainingArgs();
  } else if (key == "preferred_chains") {
    iss["preferred_chains"] = parseChainPreference(d);
  } else {
    return false;
  }
  return true;
}

Json parseAcmeIssuer(Dispenser& d) {
  Json iss = acmeIssuer();
  if (d.nextArg()) {
    iss["ca"] = d.val();
    if (d.nextArg())
      throw d.argErr();
  }
  Json challenges = Json::object();
  Json dns = Json::object();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (parseDnsChallengeOption(d, key, dns))
      continue;
    if (!parseAcmeIssuerOption(d, key, iss, challenges)) {
      throw d.err("unrecognized ACME issuer property: " + key);
    }
  }
  if (!dns.empty())
    challenges["dns"] = dns;
  if (!challenges.empty())
    iss["challenges"] = challenges;
  return iss;
}

Json parseInternalIssuer(Dispenser& d) {
  Json iss = {{"module", "internal"}};
  d.remainingArgs();  // 2.6.2 ignores arguments after `internal`
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (key == "ca") {
      iss["ca"] = onlyArg(d);
    } else if (key == "lifetime") {
      // 2.6.2 reads one argument and leaves any after it to the loop, which passes them over.
      if (!d.nextArg())
        throw d.argErr();
      std::string text = d.val();
      iss["lifetime"] = durationArg(d, text);
    } else if (key == "sign_with_root") {
      if (d.nextArg())
        throw d.argErr();
      iss["sign_with_root"] = true;
    }
    // Any other token is passed over: 2.6.2's internal issuer has no default case, so
    // `issuer internal { lifetme 1d }` adapts (without a lifetime) rather than failing.
  }
  return iss;
}

Json parseZeroSslIssuer(Dispenser& d) {
  Json iss = {{"module", "zerossl"}};
  if (d.nextArg()) {
    iss["api_key"] = d.val();
    if (d.nextArg())
      throw d.argErr();
  }
  Json dns = Json::object();
  Json challenges = Json::object();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (parseDnsChallengeOption(d, key, dns))
      continue;
    if (key == "validity_days") {
      if (iss.contains("validity_days"))
        throw d.err("validity days is already specified");
      std::string text = onlyArg(d);
      auto days = parseInt(text);
      if (!days)
        throw d.err("invalid number of days " + text);
      iss["validity_days"] = *days;
    } else if (key == "alt_http_port") {
      iss["alt_http_port"] = portArg(d);
    } else if (!parseAcmeIssuerOption(d, key, iss, challenges)) {
      // Caddy 2.6's zerossl issuer is the ACME issuer at ZeroSSL: it takes every ACME
      // subdirective; the 2.10+ API issuer only those above.
      throw d.err("unrecognized zerossl issuer property: " + key);
    }
  }
  if (!dns.empty())
    iss["cname_validation"] = dns;
  if (!challenges.empty())
    iss["challenges"] = challenges;
  return iss;
}

}  // namespace

Json acmeIssuer() {
  return Json{{"module", "acme"}};
}

Json defaultIssuers(const std::string& email) {
  Json acme = acmeIssuer();
  if (email.empty())
    return Json::array({acme});
  acme["email"] = email;
  Json zerossl = {{"ca", kZeroSslAcmeDirectory}, {"email", email}, {"module", "acme"}};
  return Json::array({acme, zerossl});
}

Json parseIssuer(Dispenser& d) {
  const std::string name = d.val();
  if (name == "acme")
    return parseAcmeIssuer(d);
  if (name == "internal")
    return parseInternalIssuer(d);
  if (name == "zerossl")
    return parseZeroSslIssuer(d);
  throw d.err("getting module named 'tls.issuance." + name + "': module not registered: tls.issuance." +
              name);
}

Json parseCertManager(Dispenser& d) {
  const std::string name = d.val();
  if (name == "http") {
    Json m = {{"url", onlyArg(d)}, {"via", "http"}};
    while (d.nextBlock(d.nesting()))
      throw d.err("unrecognized subdirective '" + d.val() + "'");
    return m;
  }
  if (name == "tailscale") {
    if (d.nextArg())
      throw d.argErr();
    return Json{{"via", "tailscale"}};
  }
  throw d.err("getting module named 'tls.get_certificate." + name +
              "': module not registered: tls.get_certificate." + name);
}

Json parseChainPreference(Dispenser& d) {
  Json pref = Json::object();
  if (d.nextArg()) {
    if (d.val() != "smallest")
      throw d.err("Invalid argument '" + d.val() + "'");
    pref["smallest"] = true;
    if (d.nextArg())
      throw d.argErr();
    if (d.nextBlock(d.nesting()))
      throw d.err("No more options are accepted when using the 'smallest' option");
  }
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (key != "root_common_name" && key != "any_common_name") {
      throw d.err("Received unrecognized parameter '" + key + "'");
    }
    auto names = d.remainingArgs();
    if (names.empty())
      throw d.argErr();
    const char* other = key == "root_common_name" ? "any_common_name" : "root_common_name";
    if (pref.contains(other)) {
      throw d.err("Can't set " + key + " when " + other + " is already set");
    }
    pref[key] = names;
  }
  if (pref.empty())
    throw d.err("No options for preferred_chains received");
  return pref;
}

}  // namespace gatehouse::parser::options
