#pragma once
// Porkbun's API v3 (the caddy-dns/porkbun plugin's settings: api_key, api_secret_key),
// every call a POST whose JSON body carries apikey and secretapikey:
// /dns/create/{zone} adds the TXT record, /dns/delete/{zone}/{id} removes it
// (/dns/retrieveByNameType/{zone}/TXT/{sub} finds it when this process did not add it).
// Answers are {"status": "SUCCESS"|"ERROR", ...}. GATEHOUSE_TEST_PORKBUN_API replaces the
// base URL (tests).

#include <map>
#include <string>

#include "dns/dns_provider.h"
#include "dns/json_api.h"

namespace gatehouse::acme::dns {

class PorkbunProvider final : public DnsProvider {
 public:
  PorkbunProvider(uv_loop_t* loop, std::string apiKey, std::string secretKey);
  [[nodiscard]] std::string_view name() const override { return "porkbun"; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;
  void shutdown() override { api_.shutdown(); }

 private:
  void call(const std::string& path, nlohmann::json body, JsonApi::Done done);
  void deleteRecord(const std::string& zone, const std::string& id, Done done);

  std::string apiKey_;
  std::string secretKey_;
  JsonApi api_;
  std::map<std::string, std::string> recordIds_;  // fqdn + " " + value -> record id
};

}  // namespace gatehouse::acme::dns
