#pragma once
// deSEC's API v1 (the caddy-dns/desec plugin's setting: token), "Authorization: Token":
// GET /domains/{zone}/rrsets/{subname}/TXT/ reads the TXT set (404 when there is none), a
// bulk PATCH /domains/{zone}/rrsets/ writes it back with the value added or removed (an
// empty record list deletes the set), so an apex and its wildcard can be validated
// together. TXT contents are quoted; the TTL is at least deSEC's 3600 s minimum.
// GATEHOUSE_TEST_DESEC_API replaces the base URL (tests).

#include <string>
#include <vector>

#include "dns/dns_provider.h"
#include "dns/json_api.h"
#include "dns/serial_ops.h"

namespace gatehouse::acme::dns {

class DesecProvider final : public DnsProvider {
 public:
  DesecProvider(uv_loop_t* loop, std::string token);
  [[nodiscard]] std::string_view name() const override { return "desec"; }
  // Serialized (serial_ops.h): each reads, changes and writes back the whole TXT set.
  void present(const TxtRecord& record, Done done) override {
    ops_.run([this, record](Done d) { presentNow(record, std::move(d)); }, std::move(done));
  }
  void cleanUp(const TxtRecord& record, Done done) override {
    ops_.run([this, record](Done d) { cleanUpNow(record, std::move(d)); }, std::move(done));
  }
  void shutdown() override { api_.shutdown(); }

 private:
  void presentNow(const TxtRecord& record, Done done);
  void cleanUpNow(const TxtRecord& record, Done done);
  using SetDone = std::function<void(std::optional<std::string>, std::vector<std::string> records)>;
  void currentRecords(const TxtRecord& record, SetDone done);
  void write(const TxtRecord& record, const std::vector<std::string>& records, Done done);

  std::string token_;
  JsonApi api_;
  SerialOps ops_;
};

}  // namespace gatehouse::acme::dns
