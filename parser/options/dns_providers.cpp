// DNS provider modules (dns.providers.*) in the Caddyfile syntax of their caddy-dns plugins,
// serialized as those plugins serialize: {"name": <provider>, <fields>...}.
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "options/tls_modules.h"

namespace gatehouse::parser::options {
namespace {

enum class Kind { String, Bool, Int };

struct Field {
  std::string key;      // the subdirective
  std::string jsonKey;  // the plugin struct's json tag (an alias may share one)
  Kind kind = Kind::String;
  const char* once = nullptr;  // the error when given twice (or after the argument)
};

struct ProviderSyntax {
  std::vector<std::string> positional;  // fields the inline arguments fill, in order
  std::vector<Field> fields;            // single-value subdirectives
  // The plugin replaces {env.*} while reading the Caddyfile (so adapt prints the value).
  bool expandEnvAtParse = false;
};

Field str(const char* key) {
  return {key, key, Kind::String, nullptr};
}
Field once(const char* key, const char* error = "API token already set") {
  return {key, key, Kind::String, error};
}

const std::map<std::string, ProviderSyntax>& providers() {
  static const std::map<std::string, ProviderSyntax> kProviders = {
      // Caddy's own test provider: one optional argument.
      {"mock", {{"argument"}, {}}},
      {"cloudflare", {{"api_token"}, {once("api_token"), str("zone_token")}}},
      {"rfc2136", {{}, {str("key_name"), str("key_alg"), str("key"), str("server")}}},
      {"alidns", {{}, {str("access_key_id"), str("access_key_secret"), str("region_id")}}},
      {"exec", {{"command"}, {str("command")}}},
      // caddy-dns/route53 (libdns/route53 v1.5 json tags): block only; aliases share a tag.
      {"route53",
       {{},
        {{"wait_for_propagation", "wait_for_propagation", Kind::Bool},
         {"max_wait_dur", "max_wait_dur", Kind::Int},
         {"max_retries", "max_retries", Kind::Int},
         str("profile"),
         {"aws_profile", "profile"},
         str("access_key_id"),
         str("secret_access_key"),
         str("session_token"),
         {"token", "session_token"},
         str("region"),
         str("hosted_zone_id")}}},
      {"digitalocean",
       {{"auth_token"}, {{"api_token", "auth_token", Kind::String, "API token already set"}}, true}},
      {"hetzner",
       {{"auth_api_token"}, {{"api_token", "auth_api_token", Kind::String, "API token already set"}}}},
      // block only (the plugin reports an unknown subdirective as a wrong argument count)
      {"porkbun", {{}, {str("api_key"), str("api_secret_key")}}},
      {"desec", {{}, {once("token", "token already set")}}},
      {"duckdns",
       {{"api_token"},
        {once("api_token"), once("override_domain", "Override domain already set"),
         once("resolver", "Resolver already set")}}},
  };
  return kProviders;
}

// The checks the plugins' UnmarshalCaddyfile make once the block is read, same messages.
void requireFields(Dispenser& d, const std::string& name, const Json& out) {
  auto missing = [&](const char* key) { return !out.contains(key) || out[key].get<std::string>().empty(); };
  if (name == "rfc2136") {
    for (const char* key : {"key", "key_name", "key_alg", "server"}) {
      if (missing(key))
        throw d.err(std::string("rfc2136: missing ") + key);
    }
  } else if (name == "cloudflare" && missing("api_token")) {
    throw d.err("missing API token");
  } else if (name == "alidns" && (missing("access_key_id") || missing("access_key_secret"))) {
    throw d.err("AccessKeyID or AccessKeySecret is empty");
  } else if (name == "digitalocean" && missing("auth_token")) {
    throw d.err("missing API token");
  } else if (name == "hetzner" && missing("auth_api_token")) {
    throw d.err("missing API token");
  } else if (name == "porkbun" && missing("api_key")) {
    throw d.err("No api_key set");
  } else if (name == "porkbun" && missing("api_secret_key")) {
    throw d.err("No api_secret_key set");
  } else if (name == "desec" && missing("token")) {
    throw d.err("missing token");
  } else if (name == "duckdns" && missing("api_token")) {
    throw d.err("DuckDNS missing API token");
  }
}

// Go's strconv.ParseBool spellings.
std::optional<bool> parseBool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True")
    return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
    return false;
  return std::nullopt;
}

// The value as the plugin stores it; empty/false/0 are left out (the structs' omitempty).
void setField(Dispenser& d, const std::string& provider, const Field& f, Json& out) {
  const std::string v = d.val();
  if (f.kind == Kind::Bool) {
    auto b = parseBool(v);
    if (!b)
      throw d.err(provider + ": " + f.key + ": expected true or false, got '" + v + "'");
    if (*b)
      out[f.jsonKey] = true;
    else
      out.erase(f.jsonKey);
    return;
  }
  if (f.kind == Kind::Int) {
    size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(v, &used, 10);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || v.empty())
      throw d.err(provider + ": " + f.key + ": expected an integer, got '" + v + "'");
    if (n != 0)
      out[f.jsonKey] = n;
    else
      out.erase(f.jsonKey);
    return;
  }
  out[f.jsonKey] = v;
}

// caddy.NewReplacer().ReplaceAll(v, ""): {env.NAME} becomes the variable's value ("" when
// unset). Other placeholders are left as written.
std::string expandEnv(const std::string& v) {
  std::string out;
  size_t i = 0;
  while (i < v.size()) {
    const size_t start = v.find("{env.", i);
    const size_t end = start == std::string::npos ? std::string::npos : v.find('}', start);
    if (end == std::string::npos) {
      out += v.substr(i);
      break;
    }
    out += v.substr(i, start - i);
    const char* value = std::getenv(v.substr(start + 5, end - start - 5).c_str());
    out += value != nullptr ? value : "";
    i = end + 1;
  }
  return out;
}

const Field* findField(const ProviderSyntax& syntax, const std::string& key) {
  for (const auto& f : syntax.fields) {
    if (f.key == key)
      return &f;
  }
  return nullptr;
}

// One `key value` line of an acmedns block into out[key].
void acmednsValue(Dispenser& d, Json& out, const std::string& key, bool once) {
  if (once && out.contains(key) && out[key] != "")
    throw d.err(key + " already set");
  if (!d.nextArg())
    throw d.argErr();
  out[key] = d.val();
  if (d.nextArg())
    throw d.argErr();
}

// config { <domain> { username password subdomain fulldomain server_url } ... }
Json acmednsConfigs(Dispenser& d) {
  Json configs = Json::object();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string domain = d.val();
    Json account = Json::object();
    for (int inner = d.nesting(); d.nextBlock(inner);) {
      const std::string key = d.val();
      if (key != "username" && key != "password" && key != "subdomain" && key != "fulldomain" &&
          key != "server_url") {
        throw d.err("unrecognized subdirective: '" + key + "'");
      }
      acmednsValue(d, account, key, false);
    }
    configs[domain] = account;
  }
  return configs;
}

// caddy-dns/acmedns: `acmedns <config_file_path>`, or a block with config_file_path, one
// account (username password subdomain server_url) or `config` per domain; exactly one.
Json parseAcmedns(Dispenser& d) {
  Json out = {{"name", "acmedns"}};
  if (d.nextArg())
    out["config_file_path"] = d.val();
  if (d.nextArg())
    throw d.argErr();
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (key == "config") {
      out["config"] = acmednsConfigs(d);
    } else if (key == "config_file_path" || key == "username" || key == "password" || key == "subdomain" ||
               key == "server_url") {
      acmednsValue(d, out, key, true);
    } else {
      throw d.err("unrecognized subdirective '" + key + "'");
    }
  }
  auto set = [&](const char* k) { return out.contains(k) && out[k] != ""; };
  const bool single = set("username") && set("password") && set("subdomain") && set("server_url");
  const int modes = (single ? 1 : 0) + (set("config_file_path") ? 1 : 0) + (out.contains("config") ? 1 : 0);
  if (modes != 1) {
    throw d.err(
        "Failed to parse acmedns configuration. You must use exactly one of these directives/directive "
        "combinations: 1) config, 2) config_file_path, 3) username, password, subdomain and server_url "
        "combination");
  }
  if (out.contains("config") && out["config"].empty())
    throw d.err("config section must have at least one domain");
  return out;
}

}  // namespace

Json parseDnsProvider(Dispenser& d) {
  const std::string name = d.val();
  if (name == "acmedns")
    return parseAcmedns(d);
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
    out[syntax.positional[argIndex++]] = syntax.expandEnvAtParse ? expandEnv(d.val()) : d.val();
  }
  for (int nesting = d.nesting(); d.nextBlock(nesting);) {
    const std::string key = d.val();
    if (name == "exec" && key == "args") {
      out["args"] = d.remainingArgs();
      continue;
    }
    const Field* field = findField(syntax, key);
    if (field == nullptr) {
      throw d.err("unrecognized subdirective '" + key + "'");
    }
    if (!d.nextArg())
      throw d.argErr();
    if (field->once != nullptr && out.contains(field->jsonKey) && out[field->jsonKey] != "") {
      throw d.err(field->once);
    }
    setField(d, name, *field, out);
    if (syntax.expandEnvAtParse && out[field->jsonKey].is_string()) {
      out[field->jsonKey] = expandEnv(out[field->jsonKey].get<std::string>());
    }
    if (d.nextArg())
      throw d.argErr();
  }
  requireFields(d, name, out);
  return out;
}

}  // namespace gatehouse::parser::options
