// The caddy-dns plugins' Caddyfile forms, adapted to the JSON the plugin-built caddy prints
// (provider.name plus the fields under the plugins' json tags), and their errors.
#include <catch2/catch.hpp>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/adapter.h"

namespace p = gatehouse::parser;
using Json = nlohmann::json;  // unordered: key order is not what is compared

namespace {

// `tls { dns <provider> }` in a site: the provider JSON.
Json provider(const std::string& dns) {
  auto result = p::adaptCaddyfile("a.example.com {\n\ttls {\n\t\tdns " + dns + "\n\t}\n}\n", "Caddyfile");
  Json out = Json::parse(gatehouse::config::toJson(result.config).dump());
  return out["apps"]["tls"]["automation"]["policies"][0]["issuers"][0]["challenges"]["dns"]["provider"];
}

std::string errorOf(const std::string& dns) {
  try {
    provider(dns);
  } catch (const p::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("route53: block form, aliases and typed fields") {
  CHECK(provider("route53 {\n access_key_id AK\n secret_access_key {env.AWS_SK}\n token T\n aws_profile p\n"
                 " max_retries 5\n max_wait_dur 60\n wait_for_propagation true\n region us-west-2\n"
                 " hosted_zone_id Z1\n}") == Json{{"name", "route53"},
                                                  {"access_key_id", "AK"},
                                                  {"secret_access_key", "{env.AWS_SK}"},
                                                  {"session_token", "T"},
                                                  {"profile", "p"},
                                                  {"max_retries", 5},
                                                  {"max_wait_dur", 60},
                                                  {"wait_for_propagation", true},
                                                  {"region", "us-west-2"},
                                                  {"hosted_zone_id", "Z1"}});
  // false and 0 are omitted, as the struct's omitempty tags do
  CHECK(provider("route53 {\n wait_for_propagation false\n max_retries 0\n}") == Json{{"name", "route53"}});
  CHECK(provider("route53") == Json{{"name", "route53"}});
  CHECK(errorOf("route53 AK").find("Caddyfile:3") != std::string::npos);
  CHECK(errorOf("route53 {\n max_retries many\n}").find("max_retries: expected an integer, got 'many'") !=
        std::string::npos);
  CHECK(errorOf("route53 {\n wait_for_propagation yes\n}").find("expected true or false") !=
        std::string::npos);
  CHECK(errorOf("route53 {\n bogus 1\n}").find("unrecognized subdirective 'bogus'") != std::string::npos);
}

TEST_CASE("duckdns: token argument or block, override_domain, resolver") {
  CHECK(provider("duckdns {env.DUCKDNS_API_TOKEN}") ==
        Json{{"name", "duckdns"}, {"api_token", "{env.DUCKDNS_API_TOKEN}"}});
  CHECK(provider("duckdns {\n api_token T\n override_domain x.duckdns.org\n resolver 1.1.1.1:53\n}") ==
        Json{{"name", "duckdns"},
             {"api_token", "T"},
             {"override_domain", "x.duckdns.org"},
             {"resolver", "1.1.1.1:53"}});
  CHECK(errorOf("duckdns T {\n api_token U\n}").find("API token already set") != std::string::npos);
  CHECK(errorOf("duckdns").find("DuckDNS missing API token") != std::string::npos);
  CHECK(errorOf("duckdns T U").find("Caddyfile:3") != std::string::npos);
  CHECK(
      errorOf("duckdns T {\n override_domain a\n override_domain b\n}").find("Override domain already set") !=
      std::string::npos);
}

TEST_CASE("digitalocean: the token lands in auth_token, {env.*} replaced while parsing as the plugin does") {
  ::setenv("GATEHOUSE_UNIT_DO_TOKEN", "dop_v1_x", 1);
  CHECK(provider("digitalocean {env.GATEHOUSE_UNIT_DO_TOKEN}") ==
        Json{{"name", "digitalocean"}, {"auth_token", "dop_v1_x"}});
  CHECK(provider("digitalocean {\n api_token T\n}") == Json{{"name", "digitalocean"}, {"auth_token", "T"}});
  CHECK(errorOf("digitalocean {env.GATEHOUSE_UNIT_DO_UNSET}").find("missing API token") != std::string::npos);
  CHECK(errorOf("digitalocean T {\n api_token U\n}").find("API token already set") != std::string::npos);
  CHECK(errorOf("digitalocean {\n token T\n}").find("unrecognized subdirective 'token'") !=
        std::string::npos);
}

TEST_CASE("hetzner: the token lands in auth_api_token, placeholders kept for run time") {
  CHECK(provider("hetzner {env.HETZNER_API_TOKEN}") ==
        Json{{"name", "hetzner"}, {"auth_api_token", "{env.HETZNER_API_TOKEN}"}});
  CHECK(provider("hetzner {\n api_token T\n}") == Json{{"name", "hetzner"}, {"auth_api_token", "T"}});
  CHECK(errorOf("hetzner").find("missing API token") != std::string::npos);
  CHECK(errorOf("hetzner T {\n api_token U\n}").find("API token already set") != std::string::npos);
}

TEST_CASE("porkbun: block form with api_key and api_secret_key") {
  CHECK(provider(
            "porkbun {\n api_key {env.PORKBUN_API_KEY}\n api_secret_key {env.PORKBUN_API_SECRET_KEY}\n}") ==
        Json{{"name", "porkbun"},
             {"api_key", "{env.PORKBUN_API_KEY}"},
             {"api_secret_key", "{env.PORKBUN_API_SECRET_KEY}"}});
  CHECK(errorOf("porkbun {\n api_secret_key S\n}").find("No api_key set") != std::string::npos);
  CHECK(errorOf("porkbun {\n api_key K\n}").find("No api_secret_key set") != std::string::npos);
  CHECK(errorOf("porkbun K").find("Caddyfile:3") != std::string::npos);
}

TEST_CASE("desec: block form with token") {
  CHECK(provider("desec {\n token {env.DESEC_TOKEN}\n}") ==
        Json{{"name", "desec"}, {"token", "{env.DESEC_TOKEN}"}});
  CHECK(errorOf("desec").find("missing token") != std::string::npos);
  CHECK(errorOf("desec {\n token A\n token B\n}").find("token already set") != std::string::npos);
  CHECK(errorOf("desec T").find("Caddyfile:3") != std::string::npos);
}

TEST_CASE("acmedns: the plugin's four forms and its exactly-one rule") {
  CHECK(provider("acmedns /etc/acmedns.json") ==
        Json{{"name", "acmedns"}, {"config_file_path", "/etc/acmedns.json"}});
  CHECK(provider("acmedns {\n config_file_path /c.json\n}") ==
        Json{{"name", "acmedns"}, {"config_file_path", "/c.json"}});
  CHECK(provider("acmedns {\n username u\n password {env.P}\n subdomain s\n server_url "
                 "https://auth.acme-dns.io\n}") == Json{{"name", "acmedns"},
                                                        {"username", "u"},
                                                        {"password", "{env.P}"},
                                                        {"subdomain", "s"},
                                                        {"server_url", "https://auth.acme-dns.io"}});
  CHECK(provider("acmedns {\n config {\n  a.example.com {\n   username u\n   password p\n   subdomain s\n"
                 "   fulldomain s.auth.example.org\n   server_url https://x\n  }\n  b.example.com {\n   "
                 "username v\n  }\n"
                 " }\n}") == Json{{"name", "acmedns"},
                                  {"config",
                                   {{"a.example.com",
                                     {{"username", "u"},
                                      {"password", "p"},
                                      {"subdomain", "s"},
                                      {"fulldomain", "s.auth.example.org"},
                                      {"server_url", "https://x"}}},
                                    {"b.example.com", {{"username", "v"}}}}}});
  CHECK(errorOf("acmedns {\n username u\n}").find("You must use exactly one of") != std::string::npos);
  CHECK(errorOf("acmedns /c.json {\n config_file_path /d.json\n}").find("config_file_path already set") !=
        std::string::npos);
  CHECK(errorOf("acmedns {\n config {\n }\n}").find("config section must have at least one domain") !=
        std::string::npos);
  CHECK(errorOf("acmedns {\n config {\n  a.com {\n   user u\n  }\n }\n}")
            .find("unrecognized subdirective: 'user'") != std::string::npos);
}
