#pragma once
// Who may use the admin endpoint, as caddy 2.6.2's admin handler decides it: the Host header
// must be the host of one of the allowed origins (DNS rebinding), and with `enforce_origin`
// the request's Origin (or Referer) must match one too (same host; same scheme when the
// allowed origin names one) and is echoed, as scheme://host, in Access-Control-Allow-Origin.
// Without `origins` the allowed ones are the listen address plus localhost, [::1] and
// 127.0.0.1 on its port; with `origins`, exactly those.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::admin {

struct AdminAccess {
  std::optional<std::vector<std::string>> origins;  // admin.origins; unset: the defaults
  bool enforceOrigin = false;                       // admin.enforce_origin
};

class AdminGuard {
 public:
  // `host` and `port` are the listen address's ("localhost", 2019).
  AdminGuard(const AdminAccess& access, const std::string& host, int port);
  // On a unix socket there is no host:port: without `origins` only an empty Host header
  // passes (what `caddy stop --address unix//...` sends), as caddy 2.6.2 allows.
  static AdminGuard forUnixSocket(const AdminAccess& access);

  // Caddy's error message ("host not allowed: x") when the Host header is refused.
  [[nodiscard]] std::optional<std::string> checkHost(std::string_view host) const;
  // With enforce_origin: the error, or none and the origin to echo in `allowOrigin`.
  [[nodiscard]] std::optional<std::string> checkOrigin(std::string_view origin, std::string_view referer,
                                                       std::string& allowOrigin) const;
  [[nodiscard]] bool enforceOrigin() const { return enforceOrigin_; }
  // As Caddy's start-up line lists them ("//localhost:2019", "https://a.example").
  [[nodiscard]] std::vector<std::string> allowed() const;

  struct Origin {
    std::string scheme;  // lower case; "" when not given
    std::string host;    // host[:port]
  };
  // Go's url.Parse, as far as origins go: "https://h:1/x" -> {https, h:1}, "//h" -> {"", h},
  // anything else -> no host.
  static Origin parse(std::string_view text);

 private:
  AdminGuard() = default;
  void add(const std::string& text);

  std::vector<Origin> allowed_;
  bool enforceOrigin_ = false;
};

}  // namespace gatehouse::admin
