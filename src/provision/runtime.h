#pragma once
// The provisioned, immutable runtime snapshot built from a site graph. Workers share one
// snapshot (std::shared_ptr<const Runtime>) and never mutate it, so no lock guards it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin_guard.h"
#include "admin/config_loader_spec.h"
#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/worker_start.h"
#include "handlers/named_routes.h"
#include "log/access_log.h"
#include "log/log_service.h"
#include "metrics/http_metrics.h"
#include "provision/shutdown_schedule.h"
#include "router/ip_range.h"
#include "router/route.h"

namespace gatehouse::acme {
class CertificateManager;
class ChallengeResponder;
class StorageCleanSchedule;
}  // namespace gatehouse::acme

namespace gatehouse::proxy {
class UpstreamStats;
}

namespace gatehouse::tls {
class ServerTls;
class CertificateStore;
class TicketKeyRing;
}  // namespace gatehouse::tls

namespace gatehouse::provision {

class InternalCertificates;
class LoadedOcspStapling;

// One `listen` entry: "[network/]host:port[-port]".
struct ListenSpec {
  std::string network = "tcp";  // tcp, tcp4, tcp6, unix
  std::string host;             // "" = every interface; for unix, the socket file's path
  uint16_t port = 0;            // 0 for unix
  std::string original;
  [[nodiscard]] bool isUnix() const { return network == "unix"; }
};

struct ServerRuntime {
  std::string name;
  std::vector<ListenSpec> listen;
  // Named routes (`invoke` targets), compiled once; null when the server has none.
  std::unique_ptr<handlers::NamedRoutes> namedRoutes;
  router::RouteList routes;
  // handle_errors: run when a handler fails (Exchange::fail); absent = status, empty body.
  std::optional<router::RouteList> errorRoutes;
  // trusted_proxies (static ranges): whose X-Forwarded-* values reverse_proxy keeps.
  std::vector<router::IpRange> trustedProxies;
  // Caddy's defaults: read_header_timeout 1m, idle_timeout 5m, no read/write timeout.
  std::chrono::milliseconds readHeaderTimeout{60'000};
  std::chrono::milliseconds readTimeout{0};
  std::chrono::milliseconds writeTimeout{0};
  std::chrono::milliseconds idleTimeout{300'000};
  size_t maxHeaderBytes = 1 << 20;  // Go's http.DefaultMaxHeaderBytes
  std::chrono::milliseconds keepaliveInterval{15'000};
  // The server's `protocols`. Caddy's default is h1 h2 h3; h2 needs TLS (ALPN) and h3 is
  // not served, so cleartext listeners speak HTTP/1.1, plus h2c when listed.
  std::vector<std::string> protocols{"h1", "h2"};
  std::shared_ptr<const tls::ServerTls> tls;  // null: cleartext
  // strict_sni_host: a TLS request whose Host differs from its SNI gets 421.
  bool strictSniHost = false;
  // listener_wrappers http_redirect (ahead of TLS, or on a cleartext server): a first request
  // that starts like plain HTTP gets a 308 to https:// and the connection closes.
  bool httpRedirect = false;
  // Access log (server `logs`); null when the server keeps none.
  std::unique_ptr<log::AccessLog> accessLog;
  // HTTP metrics registry (owned by Runtime); null when nothing collects metrics.
  metrics::HttpMetrics* metrics = nullptr;
  // ACME HTTP-01: GET /.well-known/acme-challenge/<token> is answered from here before any
  // route (as Caddy's server does); null when no certificate is managed.
  std::shared_ptr<const acme::ChallengeResponder> acmeChallenges;
  // Set once this server is going to stop (shutdown_delay); see shutdown_schedule.h.
  ShutdownSchedule shutdown;
};

// The admin endpoint (Caddy's "admin" object): where `gatehouse reload` posts configs.
struct AdminSpec {
  bool disabled = false;
  std::string listen = "localhost:2019";
  admin::AdminAccess access;                      // origins, enforce_origin
  std::optional<admin::ConfigLoaderSpec> loader;  // admin.config.load
};

struct Runtime {
  // The log writer thread; declared first so it is destroyed last, after every server
  // whose access log feeds it (its destructor writes what is still queued).
  std::shared_ptr<log::LogService> logs;
  // HTTP metrics, when a `metrics` handler or apps.http.metrics asks for them.
  std::unique_ptr<metrics::HttpMetrics> metrics;
  std::vector<std::unique_ptr<ServerRuntime>> servers;
  std::chrono::milliseconds gracePeriod{0};  // 0: wait for in-flight requests
  // shutdown_delay: how long a server this runtime stops (process exit, or a reload that
  // replaces it) keeps serving, {http.shutting_down} true, before its grace period.
  std::chrono::milliseconds shutdownDelay{0};
  std::vector<std::string> warnings;
  AdminSpec admin;
  // Certificates the config loaded; the ACME client installs managed ones here too.
  std::shared_ptr<tls::CertificateStore> certificates;
  // Automatic HTTPS: obtains and renews the managed certificates into `certificates`.
  // Null when no name needs one. Started (startCertificateManagement) once the runtime's
  // listeners are up; a reload builds a new one, which loads what storage already holds.
  std::shared_ptr<acme::CertificateManager> certManager;
  // Cleans expired certificates and OCSP staples out of storage (Caddy's storage cleaning),
  // started with certManager; null when cleaning is off.
  std::shared_ptr<acme::StorageCleanSchedule> storageCleaner;
  // Certificates from the local CA (internal issuer), renewed in the background; null when
  // no name uses the internal issuer.
  std::shared_ptr<InternalCertificates> internalCertificates;
  // OCSP staples of the loaded certificates, kept fresh in the background; null when none
  // names a responder or `ocsp_stapling off`.
  std::shared_ptr<LoadedOcspStapling> loadedOcsp;
  // Session ticket keys, carried across reloads while their settings stay the same.
  std::shared_ptr<tls::TicketKeyRing> ticketKeys;
  // Every configured upstream's counters (admin /reverse_proxy/upstreams); one registry for
  // the process, handed from each runtime to the next.
  std::shared_ptr<proxy::UpstreamStats> upstreamStats;
  // What each worker starts for this runtime's handlers as it takes the runtime, before it
  // serves (reverse_proxy's active health checks; see runtime/worker_start.h).
  runtime::WorkerStarts workerStarts;
  // The config this runtime was built from (GET /config/).
  config::Json source;
};

// Builds the runtime; throws ProvisionError naming the JSON path of anything this runtime
// does not implement, so no part of a config is silently ignored.
// `previous` (the running snapshot on a reload, else null) lends state that should survive
// the reload, such as session ticket keys.
// `Check` (gatehouse validate) provisions everything caddy provisions (CAs, files, OCSP
// staples of loaded certificates) but obtains no certificate and starts no renewal, as
// `caddy validate`, which never starts the TLS app.
enum class ProvisionPurpose { Serve, Check };
std::unique_ptr<Runtime> provisionRuntime(const config::Config& config, const Runtime* previous = nullptr,
                                          ProvisionPurpose purpose = ProvisionPurpose::Serve);

// Starts the runtime's certificate manager and storage cleaning, if any (after its
// listeners are up).
void startCertificateManagement(const Runtime& runtime);

// Caddy durations: an integer of nanoseconds or a Go duration string ("1m30s", "2d").
std::chrono::milliseconds parseDuration(const config::Json& value, const std::string& path);
// -1, 0 or 1 for a duration below, at or above zero, even one below a millisecond ("250us",
// 250000 ns), which parseDuration rounds to zero. Call after parseDuration accepted it.
int durationSign(const config::Json& value);
ListenSpec parseListen(const std::string& addr, const std::string& path, std::vector<ListenSpec>& expanded);

}  // namespace gatehouse::provision
