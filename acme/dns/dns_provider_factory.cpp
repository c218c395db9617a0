#include "dns/dns_provider_factory.h"

#include <stdexcept>

#include "dns/acmedns_provider.h"
#include "dns/alidns_provider.h"
#include "dns/cloudflare_provider.h"
#include "dns/desec_provider.h"
#include "dns/digitalocean_provider.h"
#include "dns/duckdns_provider.h"
#include "dns/exec_provider.h"
#include "dns/hetzner_provider.h"
#include "dns/name_server.h"
#include "dns/porkbun_provider.h"
#include "dns/rfc2136_provider.h"
#include "dns/route53_provider.h"

namespace gatehouse::acme::dns {

namespace {

using Json = nlohmann::json;

void onlyKeys(const Json& j, const std::string& provider, std::initializer_list<const char*> keys) {
  for (const auto& [key, _] : j.items()) {
    bool known = key == "name";
    for (const char* k : keys)
      known = known || key == k;
    if (!known)
      throw std::invalid_argument(provider + ": '" + key + "' is not supported yet");
  }
}

std::string str(const Json& j, const char* key) {
  if (!j.contains(key))
    return "";
  if (!j[key].is_string())
    throw std::invalid_argument(std::string(key) + ": expected a string");
  return j[key].get<std::string>();
}

long long integer(const Json& j, const char* key) {
  if (!j.contains(key))
    return 0;
  if (!j[key].is_number_integer())
    throw std::invalid_argument(std::string(key) + ": expected an integer");
  return j[key].get<long long>();
}

bool boolean(const Json& j, const char* key) {
  if (!j.contains(key))
    return false;
  if (!j[key].is_boolean())
    throw std::invalid_argument(std::string(key) + ": expected true or false");
  return j[key].get<bool>();
}

// libdns/route53's fields (json tags of its Provider struct).
std::unique_ptr<DnsProvider> makeRoute53(uv_loop_t* loop, const Json& p) {
  onlyKeys(p, "route53",
           {"max_retries", "max_wait_dur", "wait_for_propagation", "region", "aws_profile", "profile",
            "access_key_id", "secret_access_key", "token", "session_token", "hosted_zone_id"});
  if (integer(p, "max_wait_dur") < 0)
    throw std::invalid_argument("route53: max_wait_dur: must not be negative");
  const long long retries = integer(p, "max_retries");
  if (retries < 0 || retries > 100)
    throw std::invalid_argument("route53: max_retries: expected 0 to 100");
  Route53Settings s;
  s.credentials = {str(p, "access_key_id"), str(p, "secret_access_key"), str(p, "session_token")};
  if (s.credentials.sessionToken.empty())
    s.credentials.sessionToken = str(p, "token");  // the deprecated name
  s.profile =
      str(p, "profile").empty() ? str(p, "aws_profile") : str(p, "profile");  // aws_profile: deprecated
  s.region = str(p, "region");
  s.hostedZoneId = str(p, "hosted_zone_id");
  s.maxRetries = static_cast<int>(retries);
  s.waitForPropagation = boolean(p, "wait_for_propagation");
  // libdns/route53 reads max_wait_dur as seconds (its README: `max_wait_dur 60`); 0 = 60 s.
  s.maxWait = std::chrono::seconds(integer(p, "max_wait_dur") > 0 ? integer(p, "max_wait_dur") : 60);
  return std::make_unique<Route53Provider>(loop, std::move(s));
}

}  // namespace

std::unique_ptr<DnsProvider> makeDnsProvider(uv_loop_t* loop, const Json& p) {
  const std::string name = str(p, "name");
  if (name == "rfc2136") {
    onlyKeys(p, name, {"key_name", "key_alg", "key", "server"});
    return std::make_unique<Rfc2136Provider>(
        loop, Rfc2136Settings{str(p, "key_name"), str(p, "key_alg"), str(p, "key"), str(p, "server")});
  }
  if (name == "cloudflare") {
    onlyKeys(p, name, {"api_token", "zone_token"});
    return std::make_unique<CloudflareProvider>(
        loop, CloudflareSettings{str(p, "api_token"), str(p, "zone_token")});
  }
  if (name == "alidns") {
    onlyKeys(p, name, {"access_key_id", "access_key_secret", "region_id"});
    return std::make_unique<AlidnsProvider>(
        loop, AlidnsSettings{str(p, "access_key_id"), str(p, "access_key_secret"), str(p, "region_id")});
  }
  if (name == "route53")
    return makeRoute53(loop, p);
  if (name == "digitalocean") {
    onlyKeys(p, name, {"auth_token"});
    return std::make_unique<DigitaloceanProvider>(loop, str(p, "auth_token"));
  }
  if (name == "hetzner") {
    onlyKeys(p, name, {"auth_api_token"});
    return std::make_unique<HetznerProvider>(loop, str(p, "auth_api_token"));
  }
  if (name == "porkbun") {
    onlyKeys(p, name, {"api_key", "api_secret_key"});
    return std::make_unique<PorkbunProvider>(loop, str(p, "api_key"), str(p, "api_secret_key"));
  }
  if (name == "desec") {
    onlyKeys(p, name, {"token"});
    return std::make_unique<DesecProvider>(loop, str(p, "token"));
  }
  if (name == "acmedns") {
    onlyKeys(p, name, {"config", "username", "password", "subdomain", "server_url", "config_file_path"});
    return std::make_unique<AcmednsProvider>(loop, acmednsSettings(p));
  }
  if (name == "duckdns") {
    onlyKeys(p, name, {"api_token", "override_domain", "resolver"});
    if (!str(p, "resolver").empty() && !parseNameServer(str(p, "resolver")))
      throw std::invalid_argument("duckdns: resolver: expected host[:port]");
    return std::make_unique<DuckdnsProvider>(loop,
                                             DuckdnsSettings{str(p, "api_token"), str(p, "override_domain")});
  }
  if (name == "exec") {
    onlyKeys(p, name, {"command", "args"});
    std::vector<std::string> command{str(p, "command")};
    if (p.contains("args")) {
      if (!p["args"].is_array())
        throw std::invalid_argument("exec: args: expected an array of strings");
      for (const auto& a : p["args"]) {
        if (!a.is_string())
          throw std::invalid_argument("exec: args: expected an array of strings");
        command.push_back(a.get<std::string>());
      }
    }
    return std::make_unique<ExecProvider>(loop, std::move(command));
  }
  throw std::invalid_argument("DNS provider '" + name +
                              "' is not built in (built in: rfc2136, cloudflare, alidns, route53, duckdns, "
                              "digitalocean, hetzner, porkbun, desec, acmedns, exec)");
}

}  // namespace gatehouse::acme::dns
