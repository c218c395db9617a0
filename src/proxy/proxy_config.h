#pragma once
// The provisioned, immutable configuration of one reverse_proxy handler, decoded from
// Caddy's JSON. Every field or option the runtime does not implement is refused here with
// its JSON path ("not supported yet"), never ignored.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "handlers/handlers.h"
#include "proxy/connection_pool.h"
#include "proxy/dynamic_upstreams.h"
#include "proxy/fastcgi_transport.h"
#include "proxy/header_rules.h"
#include "proxy/health_checker.h"
#include "proxy/lb_policy.h"
#include "proxy/request_buffering.h"
#include "proxy/response_routes.h"
#include "proxy/upstream_address.h"
#include "proxy/upstream_stats.h"
#include "proxy/upstream_transport.h"
#include "router/ip_range.h"
#include "router/matchers.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

struct Upstream {
  UpstreamAddress address;   // only `dial` when the address is a template
  uint32_t maxRequests = 0;  // 0: no limit
  std::string hostport;      // {http.reverse_proxy.upstream.hostport}
  std::string network;       // {http.reverse_proxy.upstream.address}: tcp/host:port, unix//path
  // An address with placeholders, rendered per request; its counters stay the template's
  // (as Caddy keys them by the configured dial), its connections pool by what it rendered.
  std::shared_ptr<const router::Template> dialTemplate;
  // caddy 2.6.2's deprecated `lookup_srv` (a `srv+` address): an SRV name asked per request
  // once this upstream is chosen; the first record in RFC 2782 order is dialled. Its
  // counters stay this upstream's (Caddy keys them by the name), connections pool by target.
  std::shared_ptr<const DynamicSource> srv;
  std::string dial;  // as configured: the key of its process-wide counters
  // Requests in flight and failures, shared by every worker (null without a registry).
  CountersLease counters;
};

// {http.reverse_proxy.upstream.hostport} of an address: host:port, [v6]:port or a socket's path.
std::string hostportOf(const UpstreamAddress& a);
// {http.reverse_proxy.upstream.address} (Caddy's DialInfo.String()): the network too.
std::string networkAddressOf(const UpstreamAddress& a, const std::string& hostport);

struct PassiveHealth {
  std::chrono::milliseconds failDuration{0};  // 0: passive checks off
  uint32_t maxFails = 1;
  std::vector<int> unhealthyStatus;  // 5 means 5xx
  std::chrono::milliseconds unhealthyLatency{0};
  uint32_t unhealthyRequestCount = 0;
  bool configured = false;     // health_checks.passive is present
  bool maxFailsGiven = false;  // max_fails was set
  // Caddy 2.6.2 defaults max_fails to 1 only with a fail_duration: a passive policy with
  // neither (say unhealthy_request_count alone) compares 0 failures with max_fails 0, and
  // no upstream is ever available.
  [[nodiscard]] bool neverHealthy() const {
    return configured && failDuration.count() == 0 && !maxFailsGiven;
  }
};

struct ProxyConfig {
  std::vector<Upstream> upstreams;
  bool hasLookupSrv = false;             // some upstream has `srv` (needs the worker's lookups)
  std::optional<DynamicSource> dynamic;  // dynamic_upstreams; `upstreams` then only when it fails
  // The process's per-address counters, where dynamic upstreams find theirs per request
  // (null outside a runtime: each pool counts its own).
  std::shared_ptr<UpstreamStats> stats;
  std::unique_ptr<SelectionPolicy> policy;
  std::chrono::milliseconds tryDuration{0};
  std::chrono::milliseconds tryInterval{250};
  uint32_t retries = 0;
  // lb_retry_match: which requests may be tried again once an upstream was reached (a
  // failed dial is always retried). Unset: GET only, as Caddy.
  std::optional<std::vector<router::MatcherSet>> retryMatch;
  PassiveHealth passive;
  std::optional<ActiveHealth> active;
  std::optional<HeaderOps> requestHeaders;
  std::optional<HeaderOps> responseHeaders;
  std::vector<ResponseHandler> responseHandlers;  // handle_response
  // `rewrite` (forward_auth's method/uri): applied to the proxied copy of the request only.
  std::unique_ptr<runtime::Handler> rewrite;
  std::vector<router::IpRange> trustedProxies;    // the handler's own (Caddy 2.6 field)
  BodyBuffering buffering;                        // request_buffers / response_buffers
  bool flushAtOnce = false;                       // flush_interval < 0: Caddy sends the head before the body
  std::chrono::milliseconds streamTimeout{0};     // tunnels are closed after this; 0: never
  std::chrono::milliseconds streamCloseDelay{0};  // streams of a site a reload removed
  // Transport (http).
  std::chrono::milliseconds dialTimeout{3'000};  // Caddy's default dial_timeout
  std::chrono::milliseconds responseHeaderTimeout{0};
  // expect_continue_timeout (Go's ExpectContinueTimeout): how long an HTTP/1.1 request with
  // "Expect: 100-continue" holds its body for the upstream's 100; 0: sent at once.
  std::chrono::milliseconds expectContinueTimeout{0};
  size_t readBuffer = 64 * 1024;        // response bytes held before upstream reading pauses
  size_t writeBuffer = 64 * 1024;       // request bytes handed to the upstream socket at once
  size_t maxResponseHeader = 10 << 20;  // Go's default (10 MiB)
  KeepAlive keepAlive;
  // max_conns_per_host: shared by the handler's workers; null without a limit (0, unset).
  std::shared_ptr<ConnLimit> connLimit;
  TransportConfig transport;                        // TLS, PROXY protocol, local address, compression
  std::shared_ptr<const FastCgiTransport> fastcgi;  // the fastcgi transport; null: http
  // The DNS server Go's resolver would name in "no such host" errors, read at provisioning
  // so that no failing request reads /etc/resolv.conf on a worker's loop.
  std::string nameserver;

  static std::unique_ptr<ProxyConfig> parse(const config::Handler& h, const std::string& path,
                                            const handlers::RouteCompiler& compile);
};

}  // namespace gatehouse::proxy
