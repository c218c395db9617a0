// The global options block: looks each option up in the registry and stores its value in
// AdaptState::options. Everything downstream (buildTlsApp, buildPkiApp, applyServerOptions,
// applyGlobalOptionsToConfig, and the adapter core) reads these values.
//
// Value shapes, by option (absent = not set; JSON numbers are integers unless noted):
//   debug, local_certs, skip_install_trust ............ true
//   http_port, https_port ............................. integer port
//   grace_period, shutdown_delay, renew_interval,
//   ocsp_interval, cert_lifetime ...................... integer nanoseconds
//   storage_clean_interval ............................ integer nanoseconds, or false for "off"
//   storage_check ..................................... "off"
//   default_sni, fallback_sni, email, acme_ca,
//   acme_ca_root, key_type ............................ string
//   renewal_window_ratio .............................. float
//   order ............................................. array: the whole adjusted directive order
//   storage ........................................... storage module JSON {"module": ...}
//   admin ............................................. Caddy's AdminConfig JSON
//   persist_config .................................... "off"
//   auto_https ........................................ array of one "off" | "disable_redirects" |
//                                                       "disable_certs" | "ignore_loaded_certs"
//   on_demand_tls ..................................... OnDemandConfig JSON
//   cert_issuer ....................................... array of issuer JSON ({"module": ...})
//   acme_dns .......................................... null (bare: use `dns`) or provider JSON
//   dns ............................................... DNS provider JSON {"name": ...}
//   acme_eab .......................................... {"key_id": ..., "mac_key": ...}
//   preferred_chains .................................. ChainPreference JSON
//   ocsp_stapling ..................................... {"disable_stapling": true}
//   tls_resolvers ..................................... array of strings
//   ech ............................................... ECH JSON (apps.tls.encrypted_client_hello)
//   default_bind ...................................... array of {"addresses": [...],
//                                                       "protocols": [...]} (one: the last occurrence)
//   log ............................................... array of {"name": logger name,
//                                                       "log": Caddy CustomLog JSON}
//   servers ........................................... array of {"listener_address": "" | addr,
//                                                       "name": "" | custom server name,
//                                                       "fields": server JSON fields to apply}
//   metrics ........................................... Metrics JSON object ({} when bare)
//   pki ............................................... PKI app JSON {"certificate_authorities": ...}
//   events ............................................ {} (an events app without subscriptions;
//                                                       2.6.2 has no handler module to subscribe)

#include <map>

#include "gatehouse/parser/adapter.h"
#include "httptype/site_block.h"
#include "options/option_specs.h"

namespace gatehouse::parser {
namespace {

const std::map<std::string_view, options::OptionFn>& registry() {
  static const auto table = [] {
    std::map<std::string_view, options::OptionFn> t;
    for (const auto* family :
         {&options::generalOptionSpecs(), &options::acmeOptionSpecs(), &options::logOptionSpecs(),
          &options::serversOptionSpecs(), &options::pkiOptionSpecs()}) {
      for (const auto& spec : *family) {
        t.emplace(spec.name, spec.parse);
      }
    }
    return t;
  }();
  return table;
}

}  // namespace

void parseGlobalOptions(const ServerBlock& globalBlock, AdaptState& state) {
  for (const auto& segment : globalBlock.segments) {
    if (segment.empty())
      continue;
    const Token& first = segment.front();
    auto it = registry().find(first.text);
    if (it == registry().end()) {
      throw ConfigError(first.loc, "unrecognized global option: " + first.text);
    }
    Dispenser d(segment);
    auto existing = state.options.find(first.text);
    const Json* prior = existing == state.options.end() ? nullptr : &existing->second;
    try {
      state.options[first.text] = it->second(d, prior);
    } catch (const ConfigError& e) {
      throw ConfigError(e.location(), "parsing caddyfile tokens for '" + first.text + "': " + e.message());
    }
  }
}

}  // namespace gatehouse::parser
