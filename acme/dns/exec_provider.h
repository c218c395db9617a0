#pragma once
// lego's exec protocol: `<command> [args...] present|cleanup <fqdn> <value>`. The program
// knows its own zones, so no zone lookup is done for it.

#include <uv.h>

#include <string>
#include <vector>

#include "dns/dns_provider.h"

namespace gatehouse::acme::dns {

class ExecProvider final : public DnsProvider {
 public:
  ExecProvider(uv_loop_t* loop, std::vector<std::string> command);
  [[nodiscard]] std::string_view name() const override { return "exec"; }
  [[nodiscard]] bool needsZone() const override { return false; }
  void present(const TxtRecord& record, Done done) override;
  void cleanUp(const TxtRecord& record, Done done) override;

 private:
  void run(const char* action, const TxtRecord& record, Done done);
  uv_loop_t* loop_;
  std::vector<std::string> command_;
};

}  // namespace gatehouse::acme::dns
