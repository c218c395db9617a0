// Global options about certificate automation: issuers, ACME defaults, DNS providers and
// resolvers, on-demand TLS, OCSP stapling, renewal window, ECH. Shapes: global_options.cpp.
#include "options/option_specs.h"
#include "options/option_util.h"
#include "options/tls_modules.h"

namespace gatehouse::parser::options {
namespace {

// acme_dns [<provider> ...]: bare, it means "use the `dns` global option's provider".
Json parseAcmeDns(Dispenser& d, const Json*) {
  d.next();
  if (!d.nextArg())
    return nullptr;
  return parseDnsProvider(d);
}

Json parseDns(Dispenser& d, const Json*) {
  d.next();
  oneArg(d);
  return parseDnsProvider(d);
}

Json parseAcmeEab(Dispenser& d, const Json*) {
  d.next();
  if (d.nextArg())
    throw d.argErr();
  Json eab = Json::object();
  while (d.nextBlock(0)) {
    if (d.val() == "key_id") {
      eab["key_id"] = onlyArg(d);
    } else if (d.val() == "mac_key") {
      eab["mac_key"] = onlyArg(d);
    } else {
      throw d.err("unrecognized parameter '" + d.val() + "'");
    }
  }
  return eab;
}

// cert_issuer <module> [...]; repeated occurrences add fallback issuers in order.
Json parseCertIssuer(Dispenser& d, const Json* existing) {
  Json issuers = existing && existing->is_array() ? *existing : Json::array();
  d.next();
  oneArg(d);
  issuers.push_back(parseIssuer(d));
  return issuers;
}

Json parsePreferredChains(Dispenser& d, const Json*) {
  d.next();
  return parseChainPreference(d);
}

Json parseOcspStapling(Dispenser& d, const Json*) {
  d.next();
  std::string v = onlyArg(d);
  if (v != "off")
    throw d.err("invalid argument '" + v + "'");
  return Json{{"disable_stapling", true}};
}

Json parseOnDemandTls(Dispenser& d, const Json*) {
  d.next();
  if (d.nextArg())
    throw d.argErr();
  Json ond = Json::object();
  while (d.nextBlock(0)) {
    const std::string key = d.val();
    if (key == "ask") {
      std::string url = onlyArg(d);
      if (ond.contains("permission"))
        throw d.err("on-demand TLS permission module (or 'ask') already specified");
      ond["permission"] = {{"endpoint", url}, {"module", "http"}};
    } else if (key == "permission") {
      std::string mod = oneArg(d);
      if (ond.contains("permission"))
        throw d.err("on-demand TLS permission module (or 'ask') already specified");
      if (mod != "http") {
        throw d.err("getting module named 'tls.permission." + mod +
                    "': module not registered: tls.permission." + mod);
      }
      Json perm = Json::object();
      if (d.nextArg())
        perm["endpoint"] = d.val();
      for (int nesting = d.nesting(); d.nextBlock(nesting);) {
        if (d.val() != "endpoint")
          throw d.err("unrecognized subdirective '" + d.val() + "'");
        perm["endpoint"] = onlyArg(d);
      }
      perm["module"] = "http";
      ond["permission"] = perm;
    } else if (key == "interval") {
      // Caddy 2.6's rate limit (newer Caddy refuses it; its runtime still reads the JSON).
      std::string text = oneArg(d);
      ond["rate_limit"]["interval"] = durationArg(d, text);
    } else if (key == "burst") {
      std::string text = oneArg(d);
      auto burst = parseInt(text);
      if (!burst)
        throw d.err("strconv.Atoi: parsing \"" + text + "\": invalid syntax");
      ond["rate_limit"]["burst"] = *burst;
    } else {
      throw d.err("unrecognized parameter '" + key + "'");
    }
  }
  if (ond.empty())
    throw d.err("expected at least one config parameter for on_demand_tls");
  return ond;
}

Json parseTlsResolvers(Dispenser& d, const Json*) {
  d.next();
  auto args = d.remainingArgs();
  if (args.empty())
    throw d.argErr();
  return args;
}

Json parseRenewalWindowRatio(Dispenser& d, const Json*) {
  d.next();
  std::string text = onlyArg(d);
  auto ratio = parseFloat(text);
  if (!ratio)
    throw d.err("parsing renewal_window_ratio: strconv.ParseFloat: parsing \"" + text + "\": invalid syntax");
  if (*ratio <= 0 || *ratio >= 1)
    throw d.err("renewal_window_ratio must be between 0 and 1 (exclusive)");
  return *ratio;
}

// ech <public_names...> { dns <provider> ... }: each `dns` publishes the configs of all the
// public names through that provider.
Json parseEch(Dispenser& d, const Json*) {
  d.next();
  std::vector<std::string> names = d.remainingArgs();
  if (names.empty())
    throw d.argErr();
  Json ech = Json::object();
  for (const auto& name : names)
    ech["configs"].push_back(Json{{"public_name", name}});
  while (d.nextBlock(0)) {
    if (d.val() != "dns")
      throw d.err("ech: unrecognized subdirective '" + d.val() + "'");
    oneArg(d);
    Json provider = parseDnsProvider(d);
    ech["publication"].push_back(
        Json{{"configs", names}, {"publishers", {{"dns", {{"provider", provider}}}}}});
  }
  return ech;
}

}  // namespace

const std::vector<OptionSpec>& acmeOptionSpecs() {
  static const std::vector<OptionSpec> kSpecs = {
      {"acme_dns", parseAcmeDns},
      {"dns", parseDns},
      {"acme_eab", parseAcmeEab},
      {"cert_issuer", parseCertIssuer},
      {"preferred_chains", parsePreferredChains},
      {"ocsp_stapling", parseOcspStapling},
      {"on_demand_tls", parseOnDemandTls},
      {"tls_resolvers", parseTlsResolvers},
      {"renewal_window_ratio", parseRenewalWindowRatio},
      {"ech", parseEch},
  };
  return kSpecs;
}

}  // namespace gatehouse::parser::options
