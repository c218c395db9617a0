#pragma once
// DigitalOcean's API v2 (the caddy-dns/digitalocean plugin's setting: auth_token):
// POST /v2/domains/{zone}/records adds the TXT record, DELETE
// /v2/domains/{zone}/records/{id} removes it (GET .../records?type=TXT&name= finds it when
// this process did not add it); bearer-token auth. GATEHOUSE_TEST_DIGITALOCEAN_API replaces
// the base URL (tests).

#include <map>
#include <string>

#include "dns/dns_provider.h"
#include "dns/json_api.h"

namespace gatehouse::acme::dns {

class DigitaloceanProvider final : public DnsProvider {
 public:
  DigitaloceanProvider(uv_loop_t* loop, std::string authToken);
  [[nodiscard]] std::string_view name() const override { return "digitalocean"; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;
  void shutdown() override { api_.shutdown(); }

 private:
  void call(const std::string& method, const std::string& path, const std::optional<nlohmann::json>& body,
            JsonApi::Done done);
  void deleteRecord(const std::string& zone, long long id, Done done);

  std::string token_;
  JsonApi api_;
  std::map<std::string, long long> recordIds_;  // fqdn + " " + value -> record id
};

}  // namespace gatehouse::acme::dns
