#pragma once
// acme-dns (the caddy-dns/acmedns plugin's settings: username, password, subdomain,
// server_url; or `config`, a map from domain to such an account with fulldomain; or
// config_file_path, a JSON file in acme-dns-client's storage format or one account): POST
// <server_url>/update with X-Api-User / X-Api-Key and {"subdomain", "txt"}. acme-dns keeps
// the last two values of a subdomain and has no delete, so cleanUp does nothing (as
// libdns/acmedns). The account is chosen by the name without "_acme-challenge." when
// `config` is used. server_url is the API's base, so tests point it at a local fake.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "dns/dns_provider.h"
#include "dns/json_api.h"

namespace gatehouse::acme::dns {

struct AcmednsAccount {
  std::string username;
  std::string password;
  std::string subdomain;
  std::string serverUrl;
};

struct AcmednsSettings {
  AcmednsAccount single;                           // used when `accounts` is empty
  std::map<std::string, AcmednsAccount> accounts;  // domain (lower case, no dot) -> account
};

// The settings from the plugin's JSON (config_file_path read here). Throws
// std::invalid_argument naming the field.
AcmednsSettings acmednsSettings(const nlohmann::json& provider);

class AcmednsProvider final : public DnsProvider {
 public:
  AcmednsProvider(uv_loop_t* loop, AcmednsSettings settings);
  [[nodiscard]] std::string_view name() const override { return "acmedns"; }
  [[nodiscard]] bool needsZone() const override { return false; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord&, Done done) override { done(std::nullopt); }
  void shutdown() override { apis_.clear(); }

  // The account for `fqdn` (nullptr when `config` has none for it).
  [[nodiscard]] const AcmednsAccount* account(const std::string& fqdn) const;

 private:
  AcmednsSettings settings_;
  uv_loop_t* loop_;
  std::map<std::string, std::unique_ptr<JsonApi>> apis_;  // server_url -> client
};

}  // namespace gatehouse::acme::dns
