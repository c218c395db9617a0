#pragma once
// Caddy's `lb_policy cookie [<name> [<secret>]]`: a sticky session. A request whose cookie
// holds the HMAC-SHA256 (hex, keyed with the secret) of an available upstream's dial
// address goes there; any other goes to the fallback policy (random by default) and its
// response sets the cookie for the upstream chosen.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "proxy/lb_policy.h"

namespace gatehouse::proxy {

// Hex HMAC-SHA256 of `data` keyed with `secret` (Caddy's hashCookie).
std::string cookieHash(const std::string& secret, const std::string& data);

// The first value of cookie `name` in the request's Cookie fields, if any.
bool requestCookie(const runtime::Exchange& ex, std::string_view name, std::string& value);

class CookiePolicy final : public SelectionPolicy {
 public:
  struct Options {
    std::string name = "lb";
    std::string secret;
    std::chrono::milliseconds maxAge{0};  // 0: a session cookie
  };
  CookiePolicy(Options o, const std::vector<std::string>& dials, std::unique_ptr<SelectionPolicy> fallback);

  [[nodiscard]] std::string responseCookie(size_t chosen, const runtime::Exchange& ex,
                                           const DynamicCandidates* dynamic = nullptr) const override;

 protected:
  int choose(const std::vector<size_t>& available, const runtime::Exchange& ex, ConnectionPool& pool,
             const DynamicCandidates* dynamic) const override;

 private:
  Options o_;
  // The cookie value naming candidate `i`.
  [[nodiscard]] std::string hashOf(size_t i, const DynamicCandidates* dynamic) const;

  std::vector<std::string> hashes_;  // per configured upstream, computed once
  std::unique_ptr<SelectionPolicy> fallback_;
};

}  // namespace gatehouse::proxy
