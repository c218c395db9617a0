#pragma once
// Alibaba Cloud DNS (the caddy-dns/alidns plugin's settings: access_key_id,
// access_key_secret, region_id) through its RPC API, version 2015-01-09, signed GET
// requests (alidns_signature.h): AddDomainRecord to add the TXT record,
// DeleteDomainRecord to remove it (DescribeDomainRecords finds it when this process did
// not add it). GATEHOUSE_TEST_ALIDNS_ENDPOINT replaces the endpoint (tests' local fake).

#include <uv.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "dns/alidns_signature.h"
#include "dns/dns_provider.h"
#include "http/http_client.h"

namespace gatehouse::acme::dns {

struct AlidnsSettings {
  std::string accessKeyId;
  std::string accessKeySecret;
  std::string regionId;  // optional
};

class AlidnsProvider final : public DnsProvider {
 public:
  AlidnsProvider(uv_loop_t* loop, AlidnsSettings settings);
  [[nodiscard]] std::string_view name() const override { return "alidns"; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;
  void shutdown() override { http_.reset(); }

 private:
  using ResultDone = std::function<void(std::optional<std::string>, nlohmann::json)>;
  void call(alidns::Params params, ResultDone done);
  void deleteRecord(const std::string& recordId, Done done);

  uv_loop_t* loop_;
  AlidnsSettings settings_;
  std::string endpoint_;
  std::unique_ptr<HttpClient> http_;
  std::map<std::string, std::string> recordIds_;  // fqdn + " " + value -> RecordId
};

}  // namespace gatehouse::acme::dns
