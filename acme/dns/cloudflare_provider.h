#pragma once
// Cloudflare's API v4 (the caddy-dns/cloudflare plugin's settings: api_token, zone_token):
// GET /zones?name=<zone> for the zone's id, POST /zones/{id}/dns_records to add the TXT
// record, DELETE /zones/{id}/dns_records/{record} to remove it; bearer-token auth.
// GATEHOUSE_TEST_CLOUDFLARE_API replaces the base URL (tests point it at a local fake).

#include <uv.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "dns/dns_provider.h"
#include "http/http_client.h"

namespace gatehouse::acme::dns {

struct CloudflareSettings {
  std::string apiToken;   // edits DNS records (and reads zones unless zoneToken is set)
  std::string zoneToken;  // optional: reads zones
};

class CloudflareProvider final : public DnsProvider {
 public:
  CloudflareProvider(uv_loop_t* loop, CloudflareSettings settings);
  [[nodiscard]] std::string_view name() const override { return "cloudflare"; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;
  void shutdown() override { http_.reset(); }

 private:
  using ResultDone = std::function<void(std::optional<std::string> error, nlohmann::json result)>;
  void zoneId(const std::string& zone, std::function<void(std::optional<std::string>, std::string)> done);
  void call(const std::string& method, const std::string& path, const std::string& token,
            const std::optional<nlohmann::json>& body, ResultDone done);
  void deleteRecord(const std::string& zoneId, const std::string& recordId, Done done);

  uv_loop_t* loop_;
  CloudflareSettings settings_;
  std::string baseUrl_;
  std::unique_ptr<HttpClient> http_;
  std::map<std::string, std::string> zoneIds_;    // zone apex -> Cloudflare zone id
  std::map<std::string, std::string> recordIds_;  // fqdn + " " + value -> record id
};

}  // namespace gatehouse::acme::dns
