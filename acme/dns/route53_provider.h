#pragma once
// Amazon Route 53 (the caddy-dns/route53 plugin's settings: access_key_id,
// secret_access_key, session_token, region, hosted_zone_id, max_retries) through its REST
// API, requests signed with AWS Signature Version 4 (aws_sigv4.h):
// ListHostedZonesByName finds the zone (unless hosted_zone_id is set),
// ListResourceRecordSets reads the TXT set, ChangeResourceRecordSets UPSERTs it with the
// value added (or removed; DELETE once empty); with wait_for_propagation, GetChange is
// polled every 2 s until the added value is INSYNC (max_wait_dur seconds, default 60), so an apex and its
// wildcard, which share _acme-challenge, can be validated together. Credentials missing from the config come
// from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else from the shared files' profile
// (aws_credentials.h), as the AWS SDK's default chain does (instance roles are not supported).
// GATEHOUSE_TEST_ROUTE53_API replaces the endpoint (tests).

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dns/aws_sigv4.h"
#include "dns/dns_provider.h"
#include "dns/route53_api.h"
#include "dns/serial_ops.h"
#include "http/http_client.h"

namespace gatehouse::acme::dns {

struct Route53Settings {
  aws::Credentials credentials;
  std::string profile;       // shared-files profile when the keys are in neither config nor environment
  std::string region;        // selects the partition's endpoint; "" = AWS_REGION, else us-east-1
  std::string hostedZoneId;  // optional: skips the zone lookup
  // Retries (with backoff) of a throttled / failed call; 0 = the SDK's default (3 attempts).
  int maxRetries = 0;
  bool waitForPropagation = false;   // after adding, poll GetChange until INSYNC
  std::chrono::seconds maxWait{60};  // ... for at most this long
};

class Route53Provider final : public DnsProvider {
 public:
  Route53Provider(uv_loop_t* loop, Route53Settings settings);
  [[nodiscard]] std::string_view name() const override { return "route53"; }
  // Serialized (serial_ops.h): each reads, changes and writes back the whole TXT set.
  void present(const TxtRecord& record, Done done) override {
    ops_.run([this, record](Done d) { presentNow(record, std::move(d)); }, std::move(done));
  }
  void cleanUp(const TxtRecord& record, Done done) override {
    ops_.run([this, record](Done d) { cleanUpNow(record, std::move(d)); }, std::move(done));
  }
  void shutdown() override {
    shutDown_ = true;
    http_.reset();
  }

 private:
  void presentNow(const TxtRecord& record, Done done);
  void cleanUpNow(const TxtRecord& record, Done done);
  using BodyDone = std::function<void(std::optional<std::string> error, std::string body)>;
  using SetDone =
      std::function<void(std::optional<std::string>, std::string zoneId, std::optional<route53::RecordSet>)>;
  void call(const std::string& method, const std::string& path,
            const std::vector<std::pair<std::string, std::string>>& query, const std::string& body,
            int attempt, BodyDone done);
  void zoneId(const std::string& zone, std::function<void(std::optional<std::string>, std::string)> done);
  void currentSet(const TxtRecord& record, SetDone done);
  void change(const std::string& zoneId, const std::string& action, const route53::RecordSet& set, bool wait,
              Done done);
  void waitInSync(const std::string& changeId, std::chrono::steady_clock::time_point deadline, Done done);

  uv_loop_t* loop_;
  Route53Settings settings_;
  std::string endpoint_;       // scheme://host[:port]
  std::string signingRegion_;  // Route 53 is global: us-east-1 (or the partition's)
  std::unique_ptr<HttpClient> http_;
  bool shutDown_ = false;
  // A retry waiting out its backoff checks this is still alive (the provider may be gone).
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  SerialOps ops_;
};

}  // namespace gatehouse::acme::dns
