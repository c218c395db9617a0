#pragma once
// A server's access log (Caddy's server `logs`): picks the logger names for a request's host
// and, at the end of every exchange, hands a "handled request" entry to the log service.
// Called on loop threads: it only copies the exchange's facts; encoding and writing happen
// on the log thread.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "log/log_service.h"

namespace gatehouse::log {

struct AccessLogConfig {
  std::string defaultLoggerName;                                // "" = "http.log.access"
  std::map<std::string, std::vector<std::string>> loggerNames;  // host -> logger names
  std::vector<std::string> skipHosts;
  bool skipUnmappedHosts = false;
  bool logCredentials = false;  // should_log_credentials: keep Cookie/Authorization values
};

class AccessLog {
 public:
  AccessLog(AccessLogConfig config, std::shared_ptr<LogService> service)
      : config_(std::move(config)), service_(std::move(service)) {}

  void record(const runtime::Exchange& ex) const;

  // The full logger names ("http.log.access.log0") for a Host value; empty when skipped.
  [[nodiscard]] std::vector<std::string> loggersFor(std::string_view host) const;
  // The entry's fields as Caddy writes them (request, bytes_read, user_id, duration ...).
  [[nodiscard]] config::Json fields(const runtime::Exchange& ex) const;

 private:
  [[nodiscard]] const std::vector<std::string>* mapped(std::string_view host) const;

  AccessLogConfig config_;
  std::shared_ptr<LogService> service_;
};

}  // namespace gatehouse::log
