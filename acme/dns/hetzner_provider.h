#pragma once
// Hetzner DNS's API v1 (the caddy-dns/hetzner plugin's setting: auth_api_token), the
// Auth-API-Token header: GET /zones?name=<zone> for the zone's id, POST /records to add the
// TXT record, DELETE /records/{id} to remove it (GET /records?zone_id= finds it when this
// process did not add it). GATEHOUSE_TEST_HETZNER_API replaces the base URL (tests).

#include <map>
#include <string>

#include "dns/dns_provider.h"
#include "dns/json_api.h"

namespace gatehouse::acme::dns {

class HetznerProvider final : public DnsProvider {
 public:
  HetznerProvider(uv_loop_t* loop, std::string authApiToken);
  [[nodiscard]] std::string_view name() const override { return "hetzner"; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;
  void shutdown() override { api_.shutdown(); }

 private:
  void call(const std::string& method, const std::string& path, const std::optional<nlohmann::json>& body,
            JsonApi::Done done);
  void zoneId(const std::string& zone, std::function<void(std::optional<std::string>, std::string)> done);
  void deleteRecord(const std::string& id, Done done);

  std::string token_;
  JsonApi api_;
  std::map<std::string, std::string> zoneIds_;    // zone apex -> Hetzner zone id
  std::map<std::string, std::string> recordIds_;  // fqdn + " " + value -> record id
};

}  // namespace gatehouse::acme::dns
