#pragma once
// Active health checks (health_uri ...): every interval, each upstream of one
// reverse_proxy handler gets a request, written as Go's client writes Caddy's
// (health_request.h), on a connection kept alive from the last check; the status (2xx unless
// health_status says otherwise) and, with health_body, a regexp over the body decide;
// redirects are followed on the same upstream (health_checker_redirect.h). After
// `fails` consecutive failures an upstream is taken out of selection, after `passes`
// consecutive successes it is back.
// One checker per handler, as Caddy 2.6.2 runs one: it lives in the pool of the worker
// that claimed it (HealthVerdicts::claimChecker, when that worker took the runtime holding
// the handler, before it read a request: the first round runs then, as Caddy runs it when
// it provisions the handler), runs on that worker's loop, and publishes its verdicts in the
// handler's HealthVerdicts, which every worker's requests read (the other workers wait,
// briefly, for the first round to settle: HealthVerdicts::awaitFirstRound). Until an
// upstream's first check ends it counts as healthy (Caddy's too: a slow check does not
// hold requests back), and a reload's new handler starts over with new verdicts (healthy)
// and a round at once.
// Loop thread.

#include <re2/re2.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/header_list.h"
#include "proxy/health_verdicts.h"
#include "proxy/upstream_address.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class ConnectionPool;
class H2Sessions;
struct Upstream;

struct ActiveHealth {
  std::string uri = "/";
  uint16_t port = 0;  // 0: the upstream's own
  std::string method = "GET";
  runtime::HeaderList headers;
  std::chrono::milliseconds interval{30'000};
  std::chrono::milliseconds timeout{5'000};
  int expectStatus = 0;  // 0: any 2xx; 2..5: that class; else exact
  std::shared_ptr<re2::RE2> expectBody;
  uint32_t passes = 1;
  uint32_t fails = 1;
  std::string body;             // sent with each check (newer Caddy's `body`)
  bool followRedirects = true;  // Caddy 2.6.2's http.Client follows them; `false` does not
  size_t maxSize = 1 << 20;     // bytes of the body health_body looks at (max_size)
  bool enabled = false;         // uri, path or port set: Caddy runs no checks otherwise

  // JSON health_checks.active; throws ProvisionError naming `path`. Check `enabled`.
  static ActiveHealth parse(const config::Json& j, const std::string& path);
};

struct TransportConfig;

class HealthChecker {
 public:
  // `transport`: checks go through its TLS, resolvers (for upstreams named by DNS names,
  // looked up before each check) and PROXY protocol, which names no client for a check:
  // v1 "PROXY UNKNOWN", v2 LOCAL, as the protocol asks of a proxy's own health checks.
  // Upstreams with placeholders are not checked (no request to render them; Caddy skips
  // them too): they stay healthy.
  // `keepAlive` owns what `upstreams`, `config` and `transport` refer to: the pool (and this
  // checker) lives on its worker until that worker next sweeps its locals, which may be long
  // after the handler was freed, on another thread, by a reload. `owner` is the handler's
  // life token: once it expired no new round starts (the probes in flight finish).
  // `verdicts`: where each upstream's verdict goes, for every worker to read.
  HealthChecker(ConnectionPool& pool, const std::vector<Upstream>& upstreams, const ActiveHealth& config,
                const TransportConfig* transport, std::shared_ptr<const void> keepAlive,
                std::weak_ptr<const void> owner, std::shared_ptr<HealthVerdicts> verdicts);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

 private:
  class Probe;
  static void onTick(uv_timer_t* t);
  // After the loop phase that ran the first round's immediate failures (uv_check).
  static void onSettled(uv_check_t* c);
  void round();
  void record(size_t upstream, bool healthy);

  ConnectionPool& pool_;
  std::shared_ptr<const void> keepAlive_;  // before the references into it
  std::weak_ptr<const void> owner_;
  const ActiveHealth& config_;
  const TransportConfig* transport_;
  std::vector<UpstreamAddress> targets_;
  std::vector<bool> skipped_;  // templates
  // A network other than tcp/unix ("ip/...", "fd/3", "api/*:80"): Go's dial fails every
  // check ("unknown network"), so caddy marks the upstream unhealthy and picks others.
  std::vector<bool> foreign_;
  // Per upstream: its checks over HTTP/1.1 take and give back connections of the pool's
  // slot, as Caddy's checks go through the handler's transport and share its idle ones.
  std::vector<bool> sharesPool_;
  std::vector<std::string> hostHeaders_;
  // HTTP/2 connections of the checks (h2c, or h2 over TLS): before the probes, whose
  // streams must leave them first.
  std::unique_ptr<H2Sessions> h2_;
  std::vector<std::unique_ptr<Probe>> probes_;  // one slot per upstream
  std::shared_ptr<HealthVerdicts> verdicts_;
  std::vector<uint32_t> passes_;  // consecutive, per upstream
  std::vector<uint32_t> fails_;
  UvHandle<uv_timer_t> timer_;
  UvHandle<uv_check_t> settle_;
  bool rounds_ = false;  // a round has started
};

}  // namespace gatehouse::proxy
