#pragma once
// Where an active health check goes after a redirect. Caddy 2.6.2 checks through Go's
// http.Client, which follows up to 10 requests' worth of redirects (301, 302, 303, 307,
// 308 with a Location); every request is still dialled to the same upstream (the check's
// dial info rides in the request context), only the path, query and Host change. 301-303
// turn the method into GET (HEAD stays HEAD) and drop the body; 307 and 308 keep both.
// A Location of another scheme (http -> https) would need a TLS setup the transport does
// not have: not followed, the check fails (Go would try it).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::proxy {

struct HealthRequest {
  std::string method;
  std::string target;       // origin-form: path and query
  std::string host;         // the Host field
  bool customHost = false;  // Host came from health_headers
  bool withBody = true;     // the configured body goes along
  // The host of the request's URL (the dial address until an absolute Location names
  // another): Go's connection pool key, and the Referer a redirect's request carries.
  std::string urlHost;
  std::string referer;  // after a redirect: the previous request's URL, as Go's client sets it
};

// Go's client drains at most this much of a redirect's body; a longer one costs the
// connection.
inline constexpr size_t kHealthRedirectSlurp = 2 << 10;

inline constexpr int kHealthMaxRequests = 10;  // Go's client: "stopped after 10 redirects"

[[nodiscard]] bool isFollowedRedirect(int status);

// The request after `current` drew `status` with `location`; nullopt (with `why`) when it
// cannot be followed. `tls`: the check speaks TLS (the scheme a Location must keep).
std::optional<HealthRequest> followRedirect(const HealthRequest& current, int status,
                                            std::string_view location, bool tls, std::string& why);

}  // namespace gatehouse::proxy
