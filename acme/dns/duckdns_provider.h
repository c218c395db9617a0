#pragma once
// Duck DNS (the caddy-dns/duckdns plugin's settings: api_token, override_domain, resolver)
// through its one HTTP call, GET /update?domains=<sub>&token=<token>&txt=<value>
// (&clear=true to remove it), answered "OK" or "KO". Duck DNS keeps one TXT value per
// domain and serves it for every name under it; the domain is the last three labels of a
// name under duckdns.org, else override_domain (a name that CNAMEs its _acme-challenge to
// Duck DNS). `resolver` only serves libdns's record listing, which DNS-01 never calls.
// GATEHOUSE_TEST_DUCKDNS_API replaces the base URL (tests). The token is never logged.

#include <uv.h>

#include <memory>
#include <string>

#include "dns/dns_provider.h"
#include "http/http_client.h"

namespace gatehouse::acme::dns {

struct DuckdnsSettings {
  std::string apiToken;
  std::string overrideDomain;  // optional
};

class DuckdnsProvider final : public DnsProvider {
 public:
  DuckdnsProvider(uv_loop_t* loop, DuckdnsSettings settings);
  [[nodiscard]] std::string_view name() const override { return "duckdns"; }
  [[nodiscard]] bool needsZone() const override { return false; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;
  void shutdown() override { http_.reset(); }

  // The Duck DNS domain to update for `fqdn` ("" when there is none).
  static std::string duckDomain(const std::string& fqdn, const std::string& overrideDomain);

 private:
  void update(const TxtRecord& record, bool clear, Done done);

  uv_loop_t* loop_;
  DuckdnsSettings settings_;
  std::string baseUrl_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace gatehouse::acme::dns
