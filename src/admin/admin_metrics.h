#pragma once
// The admin endpoint's own Prometheus series, as caddy 2.6.2 counts them:
// caddy_admin_http_requests_total{code,handler,method,path} for every routed request and
// caddy_admin_http_request_errors_total{handler,method,path} for those answered with an
// API error; `path` is the route's pattern ("/config/") and `handler` its module ("admin",
// "load", "metrics", "pki", "reverse_proxy"). Admin requests are rare and run on the pool:
// a mutex is enough here (it is never taken on the serving path).

#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace gatehouse::admin {

class AdminMetrics {
 public:
  void count(int status, const std::string& handler, const std::string& method, const std::string& path,
             bool apiError);
  // The two families in Prometheus text format (nothing before the first count).
  [[nodiscard]] std::string exposition() const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, uint64_t> requests_;
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> errors_;
};

// process_* as client_golang's process collector reports them on Linux (from /proc).
std::string processMetrics();

}  // namespace gatehouse::admin
