#pragma once
// RFC 2136 dynamic updates signed with TSIG (RFC 8945), built, signed and sent by ldns:
// the caddy-dns/rfc2136 plugin's settings (key_name, key_alg, key, server).

#include <uv.h>

#include <string>

#include "dns/dns_provider.h"
#include "dns/name_server.h"

namespace gatehouse::acme::dns {

struct Rfc2136Settings {
  std::string keyName;  // TSIG key name, e.g. "acme-key"
  std::string keyAlg;   // hmac-sha256 (with or without the final dot), hmac-sha512, hmac-md5 ...
  std::string key;      // base64 secret
  std::string server;   // host[:port] of the primary that accepts updates
};

class Rfc2136Provider final : public DnsProvider {
 public:
  // Throws std::invalid_argument naming the bad field (never its secret value).
  Rfc2136Provider(uv_loop_t* loop, const Rfc2136Settings& settings);
  [[nodiscard]] std::string_view name() const override { return "rfc2136"; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;

  // The algorithm name as ldns and the TSIG RR spell it ("hmac-sha256."); "" when unknown.
  static std::string tsigAlgorithm(const std::string& configured);

 private:
  void update(const TxtRecord& record, bool add, Done done);

  uv_loop_t* loop_;
  std::string keyName_;
  std::string keyAlg_;
  std::string key_;
  NameServer server_;
};

}  // namespace gatehouse::acme::dns
