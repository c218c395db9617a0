// DNS provider modules (dns.providers.*) in the Caddyfile syntax of their caddy-dns plugins,
// serialized as those plugins serialize: {"name": <provider>, <fields>...}.
#include <map>
#include <vector>

#include "options/tls_modules.h"

namespace gatehouse::parser::options {
namespace {

struct ProviderSyntax {
  std::vector<std::string> positional;  // fields the inline arguments fill, in order
  std::vector<std::string> blockKeys;   // single-value subdirectives, same JSON key
};

const std::map<std::string, ProviderSyntax>& providers() {
  static const std::map<std::string, ProviderSyntax> kProviders = {
      // Caddy's own test provider: one optional argument.
      {"mock", {{"argument"}, {}}},
      {"cloudflare", {{"api_token"}, {"api_token", "zone_token"}}},
      {"rfc2136", {{}, {"key_name", "key_alg", "key", "server"}}},
      {"alidns", {{}, {"access_key_id", "access_key_secret", "region_id"}}},
      {"exec", {{"command"}, {"command"}}},
  };
  return kProviders;
}

// The checks the plugins' UnmarshalCaddyfile make once the block is read, same messages.
void requireFields(Dispenser& d, const std::string& name, const Json& out) {
  auto missing = [&](const char* key) { return !out.contains(key) || out[key].get<std::string>().empty(); };
  if (name == "rfc2136") {
    for (const char* key : {"key", "key_name", "key_alg", "server"}) {
      if (missing(key)) throw d.err(std::string("rfc2136: missing ") + key);
    }
  } else if (name == "cloudflare" && missing("api_token")) {
    throw d.err("missing API token");
  } else if (name == "alidns" && (missing("access_key_id") || missing("access_key_secret"))) {
    throw d.err("AccessKeyID or AccessKeySecret is empty");
  }
}

}  // namespace

Json parseDnsProvider(Dispenser& d) {
  const std::string name = d.val();
  auto it = providers().find(name);
  if (it == providers().end()) {
    throw d.err("getting module named 'dns.providers." + name + "': module not registered: dns.providers." +
                name);
  }
  const ProviderSyntax& syntax = it->second;
  Json out = {{"name", name}};
  size_t argIndex = 0;
  while (d.nextArg()) {
    if (argIndex >= syntax.positional.size()) {
      throw d.argErr();
    }
    out[syntax.positional[argIndex++]] = d.val();
  }
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (name == "exec" && key == "args") {
      out["args"] = d.remainingArgs();
      continue;
    }
    bool known = false;
    for (const auto& k : syntax.blockKeys) known = known || k == key;
    if (!known) {
      throw d.err("unrecognized subdirective '" + key + "'");
    }
    if (!d.nextArg()) throw d.argErr();
    if (name == "cloudflare" && key == "api_token" && out.contains("api_token")) {
      throw d.err("API token already set");
    }
    out[key] = d.val();
    if (d.nextArg()) throw d.argErr();
  }
  requireFields(d, name, out);
  return out;
}

}  // namespace gatehouse::parser::options
