// Site graph -> runtime snapshot. Everything the runtime cannot honour yet is refused here
// with its JSON path, before any socket is bound.

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "handlers/placeholder_steps.h"
#include "http/session_factory.h"
#include "manager/certificate_manager.h"
#include "manager/renewal_schedule.h"
#include "manager/storage_clean_schedule.h"
#include "provision/admin_config_provision.h"
#include "provision/auto_https.h"
#include "provision/cert_managers_provision.h"
#include "provision/handler_registry.h"
#include "provision/internal_provision.h"
#include "provision/internal_settings.h"
#include "provision/listener_claims.h"
#include "provision/logging_provision.h"
#include "provision/managed_certificates.h"
#include "provision/named_routes_provision.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"
#include "provision/storage_clean_provision.h"
#include "provision/tls_provision.h"
#include "proxy/upstream_stats.h"
#include "tls/server_tls.h"

namespace gatehouse::provision {

using config::Json;

namespace {

router::RouteList compileRoutes(const std::vector<config::Route>& routes, const std::string& path,
                                const HandlerContext& ctx);

// One route at JSON path `rp` (its matchers, handlers and terminal flag).
router::CompiledRoute compileRoute(const config::Route& r, const std::string& rp, const HandlerContext& ctx) {
  handlers::RouteCompiler compiler = [&ctx](const std::vector<config::Route>& nested, const std::string& p) {
    HandlerContext inner = ctx;
    inner.instrument = false;  // a subroute's own handlers are not counted (caddy 2.6.2)
    return compileRoutes(nested, p, inner);
  };
  router::CompiledRoute cr;
  cr.group = r.group;
  cr.terminal = r.terminal;
  try {
    cr.match = router::compileMatcherSets(r.match, rp + ".match");
  } catch (const Json::exception& e) {
    throw ProvisionError(rp + ".match", std::string("malformed matcher: ") + e.what());
  }
  for (size_t j = 0; j < r.handle.size(); ++j) {
    const std::string hp = rp + ".handle[" + std::to_string(j) + "]";
    try {
      for (auto& step : handlers::stepsBeforeHandler(r.handle[j])) {
        cr.handlers.push_back(std::move(step));  // state its placeholders need first
      }
      cr.handlers.push_back(makeHandler(r.handle[j], hp, compiler, ctx));
    } catch (const Json::exception& e) {
      // A field of the wrong JSON type: name the handler rather than crash.
      throw ProvisionError(hp, "malformed '" + r.handle[j].name + "' handler: " + e.what());
    }
  }
  return cr;
}

router::RouteList compileRoutes(const std::vector<config::Route>& routes, const std::string& path,
                                const HandlerContext& ctx) {
  std::vector<router::CompiledRoute> out;
  for (size_t i = 0; i < routes.size(); ++i) {
    if (auto steps = handlers::stepsBeforeMatchers(routes[i].match); !steps.empty()) {
      // Matchers evaluate synchronously: a route of its own prepares their state first.
      router::CompiledRoute prepare;
      prepare.handlers = std::move(steps);
      out.push_back(std::move(prepare));
    }
    out.push_back(compileRoute(routes[i], path + "[" + std::to_string(i) + "]", ctx));
  }
  return router::RouteList(std::move(out));
}

// The server's ALPN preference from its `protocols` (default h1 h2 h3), limited to what
// the session factory can serve.
std::vector<std::string> alpnFor(const config::Server& srv, const std::string& path) {
  std::vector<std::string> protocols = {"h1", "h2", "h3"};
  if (srv.options.contains("protocols") && srv.options["protocols"].is_array()) {
    protocols.clear();
    for (const auto& p : srv.options["protocols"]) {
      if (p.is_string()) {
        protocols.push_back(p.get<std::string>());
      }
    }
  }
  auto has = [&](const char* p) {
    return std::find(protocols.begin(), protocols.end(), p) != protocols.end();
  };
  std::vector<std::string> alpn;
  if (has("h2") && http::sessionSupports("h2")) {
    alpn.emplace_back("h2");
  }
  if (has("h1")) {
    alpn.emplace_back("http/1.1");
  }
  if (alpn.empty() && !srv.tlsConnectionPolicies.is_null()) {
    throw ProvisionError(path + ".protocols", "without h1 a TLS server needs h2, which is not supported yet");
  }
  return alpn;
}

AdminSpec provisionAdmin(const Json& admin) {
  AdminSpec spec;
  if (admin.is_null()) {
    return spec;
  }
  if (!admin.is_object()) {
    throw ProvisionError("admin", "expected an object");
  }
  for (const auto& [key, value] : admin.items()) {
    if (key == "disabled") {
      spec.disabled = value.is_boolean() && value.get<bool>();
    } else if (key == "listen") {
      if (!value.is_string()) {
        throw ProvisionError("admin.listen", "expected a string");
      }
      spec.listen = value.get<std::string>();
    } else if (key == "origins") {
      if (!value.is_array() ||
          !std::all_of(value.begin(), value.end(), [](const Json& o) { return o.is_string(); })) {
        throw ProvisionError("admin.origins", "expected an array of strings");
      }
      spec.access.origins = value.get<std::vector<std::string>>();
    } else if (key == "enforce_origin") {
      if (!value.is_boolean()) {
        throw ProvisionError("admin.enforce_origin", "expected true or false");
      }
      spec.access.enforceOrigin = value.get<bool>();
    } else if (key == "config") {
      spec.loader = provisionAdminConfig(value);
    } else {
      throw ProvisionError("admin." + key, "admin option '" + key + "' is not supported yet");
    }
  }
  return spec;
}

// trusted_proxies with the static source: CIDR ranges (or single addresses).
std::vector<router::IpRange> parseTrustedProxies(const Json& value, const std::string& path) {
  if (!value.is_object() || value.value("source", "") != "static") {
    throw ProvisionError(path, "only the static trusted_proxies source is supported yet");
  }
  std::vector<router::IpRange> out;
  for (const auto& [key, v] : value.items()) {
    if (key == "source") {
      continue;
    }
    if (key != "ranges" || !v.is_array()) {
      throw ProvisionError(path + "." + key, "not supported yet");
    }
    for (size_t i = 0; i < v.size(); ++i) {
      auto range = v[i].is_string() ? router::IpRange::parse(v[i].get<std::string>()) : std::nullopt;
      if (!range) {
        throw ProvisionError(path + ".ranges[" + std::to_string(i) + "]", "invalid IP range");
      }
      out.push_back(*range);
    }
  }
  return out;
}

// Caddy's server `protocols`: h1, h2 (TLS only), h2c (cleartext HTTP/2) and h3.
std::vector<std::string> parseProtocols(const config::Server& srv, const Json& value, const std::string& p) {
  if (!value.is_array()) {
    throw ProvisionError(p, "expected a list of protocols");
  }
  std::vector<std::string> out;
  for (const auto& proto : value) {
    std::string v = proto.is_string() ? proto.get<std::string>() : "";
    if (v != "h1" && v != "h2" && v != "h2c" && v != "h3") {
      throw ProvisionError(p, "protocol '" + v + "' is not supported yet");
    }
    if (std::find(out.begin(), out.end(), v) == out.end()) {
      out.push_back(v);
    }
  }
  auto has = [&](const char* v) { return std::find(out.begin(), out.end(), v) != out.end(); };
  if (out.empty()) {
    return {"h1", "h2"};  // Caddy's default, less h3 (see below)
  }
  if (!has("h1") && (has("h2") || has("h2c"))) {
    // Caddy's own rule (Go cannot serve HTTP/2 without HTTP/1.1).
    throw ProvisionError(
        p, "cannot enable HTTP/2 or H2C without enabling HTTP/1.1; add h1 to protocols or remove h2/h2c");
  }
  if (!has("h1")) {
    throw ProvisionError(p, "serving HTTP/3 alone is not supported yet");
  }
  // Caddy skips h3 (and h2) on listeners without TLS; with TLS it would serve HTTP/3.
  if (has("h3") && !srv.tlsConnectionPolicies.is_null()) {
    throw ProvisionError(p, "protocol 'h3' (HTTP/3) is not supported yet");
  }
  return out;
}

// listener_wrappers, as Caddy 2.6.2 orders them: `tls` marks where TLS sits and, when
// absent, comes first. http_redirect is served ahead of TLS, or on a cleartext server.
bool parseListenerWrappers(const config::Server& srv, const Json& value, const std::string& p) {
  if (!value.is_array()) {
    throw ProvisionError(p, "expected a list of listener wrappers");
  }
  int tlsAt = -1;
  int redirectAt = -1;
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& w = value[i];
    const std::string name = w.is_object() ? w.value("wrapper", "") : "";
    const std::string at = "loading listener wrapper modules: position " + std::to_string(i) + ": ";
    if (name != "tls" && name != "http_redirect") {
      throw ProvisionError(p, at + "loading module '" + name + "': unknown module: caddy.listeners." + name);
    }
    for (const auto& [key, _] : w.items()) {
      if (key != "wrapper") {
        throw ProvisionError(p, at + "loading module '" + name +
                                    "': decoding module config: caddy.listeners." + name +
                                    ": json: unknown field \"" + key + "\"");
      }
    }
    if (name == "tls") {
      if (tlsAt >= 0) {
        throw ProvisionError(p, "TLS listener wrapper can only be specified once");
      }
      tlsAt = static_cast<int>(i);
    } else if (redirectAt < 0) {
      redirectAt = static_cast<int>(i);
    }
  }
  if (tlsAt == 0) {
    throw ProvisionError(p,
                         "it is unnecessary to specify the TLS listener wrapper in the first position "
                         "because that is the default");
  }
  if (redirectAt < 0) {
    return false;
  }
  if (!srv.tlsConnectionPolicies.is_null() && (tlsAt < 0 || redirectAt > tlsAt)) {
    // Caddy then reads requests inside TLS: HTTPS GETs get a 308 to their own URL (a loop),
    // other methods lose their TLS state, h2 clients get nothing, plain HTTP no redirect.
    throw ProvisionError(p,
                         "http_redirect after TLS (list it before `tls`) is not supported yet: caddy "
                         "then redirects HTTPS requests to themselves and never plain HTTP");
  }
  return true;
}

// Caddy's Server.hasTLSClientAuth: a connection policy whose client_authentication is
// active (CAs, leaves or a mode given).
bool hasTlsClientAuth(const config::Server& srv) {
  if (!srv.tlsConnectionPolicies.is_array()) {
    return false;
  }
  for (const auto& policy : srv.tlsConnectionPolicies) {
    if (!policy.is_object() || !policy.contains("client_authentication")) {
      continue;
    }
    const auto& auth = policy["client_authentication"];
    if (!auth.is_object()) {
      continue;
    }
    for (const char* key :
         {"trusted_ca_certs", "trusted_ca_certs_pem_files", "trusted_leaf_certs", "ca", "verifiers"}) {
      if (auth.contains(key) && !auth[key].is_null() && !auth[key].empty()) {
        return true;
      }
    }
    if (auth.contains("mode") && auth["mode"].is_string() && !auth["mode"].get<std::string>().empty()) {
      return true;
    }
  }
  return false;
}

void applyServerOptions(const config::Server& srv, ServerRuntime& rt, const std::string& path) {
  bool allowH2c = false;
  // Caddy turns strict_sni_host on for a server with TLS client authentication unless the
  // config sets it (insecure_off): a benign SNI must not reach a site behind client_auth.
  rt.strictSniHost = !srv.options.contains("strict_sni_host") && hasTlsClientAuth(srv);
  for (const auto& [key, value] : srv.options.items()) {
    const std::string p = path + "." + key;
    if (key == "read_timeout") {
      rt.readTimeout = parseDuration(value, p);
    } else if (key == "read_header_timeout") {
      rt.readHeaderTimeout = parseDuration(value, p);
    } else if (key == "write_timeout") {
      rt.writeTimeout = parseDuration(value, p);
    } else if (key == "idle_timeout") {
      rt.idleTimeout = parseDuration(value, p);
    } else if (key == "keepalive_interval") {
      rt.keepaliveInterval = parseDuration(value, p);
    } else if (key == "max_header_bytes") {
      if (!value.is_number_integer() || value.get<int64_t>() <= 0) {
        throw ProvisionError(p, "expected a positive integer");
      }
      rt.maxHeaderBytes = value.get<size_t>();
    } else if (key == "protocols") {
      rt.protocols = parseProtocols(srv, value, p);
    } else if (key == "trusted_proxies") {
      rt.trustedProxies = parseTrustedProxies(value, p);
    } else if (key == "strict_sni_host") {
      rt.strictSniHost = value.is_boolean() && value.get<bool>();
    } else if (key == "listener_wrappers") {
      rt.httpRedirect = parseListenerWrappers(srv, value, p);
    } else if (key == "experimental_http3") {
      continue;
    } else if (key == "allow_h2c") {
      // Caddy 2.5's switch (2.6 reads `protocols` instead): the same as listing h2c.
      allowH2c = value.is_boolean() && value.get<bool>();
    } else {
      throw ProvisionError(p, "server option '" + key + "' is not supported yet");
    }
  }
  if (allowH2c && std::find(rt.protocols.begin(), rt.protocols.end(), "h2c") == rt.protocols.end()) {
    rt.protocols.emplace_back("h2c");
  }
}

}  // namespace

namespace {
void checkNetwork(const std::string& network, const std::string& path) {
  if (network == "tcp" || network == "tcp4" || network == "tcp6" || network == "unix") {
    return;
  }
  if (network == "unixgram" || network == "udp" || network == "udp4" || network == "udp6") {
    // Caddy 2.6.2 accepts these and then panics at start (a datagram socket cannot accept);
    // newer Caddy refuses them at start ("cannot handle HTTP/1 or HTTP/2 connections") unless
    // the server speaks HTTP/3, which is not supported yet.
    throw ProvisionError(path, "listener network '" + network +
                                   "' cannot serve HTTP (a datagram socket accepts no connections; "
                                   "HTTP/3 over UDP is not supported yet)");
  }
  throw ProvisionError(path, "listener network '" + network + "' is not supported yet");
}
}  // namespace

ListenSpec parseListen(const std::string& addr, const std::string& path, std::vector<ListenSpec>& expanded) {
  ListenSpec spec;
  spec.original = addr;
  std::string rest = addr;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    spec.network = rest.substr(0, slash);
    rest = rest.substr(slash + 1);
    checkNetwork(spec.network, path);
  }
  if (rest.find('{') != std::string::npos) {
    throw ProvisionError(path, "placeholders in listen addresses are not supported yet");
  }
  if (spec.isUnix()) {
    // As Caddy 2.6.2: everything after "unix/" is the path, taken literally (no port, and
    // no "|mode" suffix: 2.6.2 names the file "x.sock|0222"); relative to the working dir.
    if (rest.empty()) {
      throw ProvisionError(path, "listen address '" + addr + "' has no socket path");
    }
    spec.host = rest;
    expanded.push_back(spec);
    return spec;
  }
  std::string portPart;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      throw ProvisionError(path, "invalid listen address '" + addr + "'");
    }
    spec.host = rest.substr(1, close - 1);
    portPart = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) {
      throw ProvisionError(path, "listen address '" + addr + "' has no port");
    }
    spec.host = rest.substr(0, colon);
    portPart = rest.substr(colon + 1);
  }
  auto toPort = [&](const std::string& p) {
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(p) > 65535) {
      throw ProvisionError(path, "invalid port in listen address '" + addr + "'");
    }
    return static_cast<uint16_t>(std::stoi(p));
  };
  size_t dash = portPart.find('-');
  uint16_t lo = toPort(portPart.substr(0, dash));
  uint16_t hi = dash == std::string::npos ? lo : toPort(portPart.substr(dash + 1));
  if (hi < lo) {
    throw ProvisionError(path, "invalid port range in '" + addr + "'");
  }
  for (uint32_t p = lo; p <= hi; ++p) {
    ListenSpec s = spec;
    s.port = static_cast<uint16_t>(p);
    expanded.push_back(std::move(s));
  }
  spec.port = lo;
  return spec;
}

namespace {
// The servers' listen ports by kind: a challenge on one of them is answered by its server.
ChallengePorts challengePorts(const config::HttpApp& app, const AutoHttpsPlan& plan) {
  ChallengePorts ports;
  ports.http = httpPort(app);
  ports.https = httpsPort(app);
  for (const auto& [name, srv] : plan.servers) {
    for (const auto& l : srv.listen) {
      std::vector<ListenSpec> all;
      parseListen(l, "apps.http.servers." + name + ".listen", all);
      for (const auto& spec : all) {
        if (spec.isUnix()) {
          continue;  // no port: no ACME challenge arrives there
        }
        (srv.tlsConnectionPolicies.is_null() ? ports.plainListeners : ports.tlsListeners).insert(spec.port);
      }
    }
  }
  return ports;
}
}  // namespace

void startCertificateManagement(const Runtime& runtime) {
  if (runtime.certManager) {
    runtime.certManager->start();
  }
  if (runtime.storageCleaner) {
    runtime.storageCleaner->start();
  }
  if (runtime.loadedOcsp) {
    runtime.loadedOcsp->start();
  }
}

namespace {
// Staples the loaded certificates (loaded_ocsp_stapling.h) once the rest of the config is
// known to be valid, so a refused config fetches nothing. apps.tls.disable_ocsp_stapling
// (global `ocsp_stapling off`) is Caddy 2.6.2's switch for them.
void stapleLoaded(const config::Config& config, const TlsAppRuntime& tlsApp, Runtime& rt,
                  const Runtime* previous) {
  if (tlsApp.loaded.empty()) {
    return;
  }
  if (config.tls && config.tls->extra.contains("disable_ocsp_stapling")) {
    const Json& off = config.tls->extra["disable_ocsp_stapling"];
    if (!off.is_boolean()) {
      throw ProvisionError("apps.tls.disable_ocsp_stapling", "expected a boolean");
    }
    if (off.get<bool>()) {
      return;
    }
  }
  auto stapling = std::make_shared<LoadedOcspStapling>(
      tlsApp.store, tlsApp.loaded, automationInterval(config, "ocsp_interval", acme::kDefaultOcspInterval),
      previous != nullptr && previous->certificates ? previous->certificates->snapshot() : nullptr);
  if (!stapling->empty()) {
    rt.loadedOcsp = std::move(stapling);
  }
}
}  // namespace

std::unique_ptr<Runtime> provisionRuntime(const config::Config& config, const Runtime* previous,
                                          ProvisionPurpose purpose) {
  auto rt = std::make_unique<Runtime>();
  rt->source = config::toJson(config);
  rt->upstreamStats = previous != nullptr && previous->upstreamStats
                          ? previous->upstreamStats
                          : std::make_shared<proxy::UpstreamStats>();
  rt->admin = provisionAdmin(config.admin);
  for (const auto& [key, _] : config.extra.items()) {
    throw ProvisionError(key, "top-level field '" + key + "' is not supported yet");
  }
  for (const auto& [name, app] : config.otherApps) {
    if (name == "pki") {
      checkPkiApp(config);
      continue;
    }
    // An events app without subscriptions (the Caddyfile's empty `events {}`) does nothing.
    if (name == "events" && app.is_object() && app.size() == (app.contains("subscriptions") ? 1U : 0U) &&
        app.value("subscriptions", Json::array()).empty()) {
      continue;
    }
    throw ProvisionError("apps." + name, "app '" + name + "' is not supported yet");
  }
  TlsAppRuntime tlsApp = provisionTlsApp(config, previous);
  checkAutomationPolicies(tlsApp);
  provisionPkiCas(config, tlsApp.policies, rt->warnings);
  tlsApp.managers = provisionCertificateManagers(tlsApp);
  rt->certificates = tlsApp.store;
  rt->ticketKeys = tlsApp.tickets;
  rt->logs = provisionLogging(config);
  rt->storageCleaner = provisionStorageCleaning(config, previous != nullptr && previous->storageCleaner
                                                            ? previous->storageCleaner->history()
                                                            : nullptr);
  if (!config.http) {
    rt->certManager = provisionCertificateManager(config, tlsApp.automate, tlsApp, ChallengePorts{});
    stapleLoaded(config, tlsApp, *rt, previous);
    return rt;
  }
  const auto& app = *config.http;
  if (app.options.contains("metrics") || configUsesHandler(config, "metrics")) {
    rt->metrics = std::make_unique<metrics::HttpMetrics>();
  }
  for (const auto& [key, value] : app.options.items()) {
    const std::string p = "apps.http." + key;
    if (key == "grace_period") {
      rt->gracePeriod = parseDuration(value, p);
    } else if (key == "shutdown_delay") {
      rt->shutdownDelay = parseDuration(value, p);
    } else if (key == "metrics") {
      if (value.is_object() && value.contains("per_host")) {
        throw ProvisionError(p + ".per_host", "metrics option 'per_host' (Caddy 2.9+) is not supported yet");
      }
      if (!value.is_object() || !value.empty()) {
        throw ProvisionError(p, "metrics options are not supported yet");
      }
    } else if (key == "http_port" || key == "https_port") {
      continue;  // they feed the automatic HTTPS check
    } else {
      throw ProvisionError(p, "http app option '" + key + "' is not supported yet");
    }
  }
  const AutoHttpsPlan plan = planAutomaticHttps(app, tlsApp);
  rt->certManager = provisionCertificateManager(config, plan.managedNames, tlsApp, challengePorts(app, plan));
  if (rt->certManager && previous != nullptr && previous->certManager) {
    // On-demand orders the running config has in flight are waited for, not placed again.
    rt->certManager->adoptPredecessor(previous->certManager);
  }
  if (rt->certManager) {
    tlsApp.challenges = rt->certManager->challengeProvider();
    tlsApp.onDemand = rt->certManager->onDemand();
  }
  rt->internalCertificates = provisionInternalCertificates(config, plan.internal, tlsApp.store, rt->warnings,
                                                           purpose == ProvisionPurpose::Serve);
  checkListenerClaims(plan.servers);
  for (const auto& [name, srv] : plan.servers) {
    const std::string path = "apps.http.servers." + name;
    auto s = std::make_unique<ServerRuntime>();
    s->name = name;
    for (size_t i = 0; i < srv.listen.size(); ++i) {
      parseListen(srv.listen[i], path + ".listen[" + std::to_string(i) + "]", s->listen);
    }
    // A server without listen addresses is valid, as in caddy: it is provisioned and binds
    // nothing, so it serves no request.
    if (!srv.tlsConnectionPolicies.is_null()) {
      s->tls = provisionServerTls(srv.tlsConnectionPolicies, path + ".tls_connection_policies", tlsApp,
                                  alpnFor(srv, path));
    }
    HandlerContext ctx{name, rt->metrics.get()};
    ctx.config = &config;
    ctx.upstreamStats = rt->upstreamStats;
    ctx.workerStarts = &rt->workerStarts;
    s->namedRoutes = declareNamedRoutes(srv, path + ".named_routes");
    ctx.namedRoutes = s->namedRoutes.get();
    if (s->namedRoutes) {
      compileNamedRoutes(srv, path + ".named_routes", *s->namedRoutes,
                         [&ctx](const config::Route& r, const std::string& p) {
                           std::vector<router::CompiledRoute> one;
                           one.push_back(compileRoute(r, p, ctx));
                           return router::RouteList(std::move(one));
                         });
    }
    if (srv.errors) {
      HandlerContext errorCtx = ctx;
      errorCtx.instrument = false;  // caddy 2.6.2 provisions error routes without metrics
      s->errorRoutes = compileRoutes(*srv.errors, path + ".errors.routes", errorCtx);
    }
    if (!srv.logs.is_null()) {
      s->accessLog = provisionAccessLog(srv.logs, path + ".logs", rt->logs);
    }
    if (srv.automaticHttps) {
      for (const auto& [key, _] : srv.automaticHttps->extra.items()) {
        throw ProvisionError(path + ".automatic_https." + key, "not supported yet");
      }
    }
    applyServerOptions(srv, *s, path);
    s->metrics = rt->metrics.get();
    if (rt->certManager) {
      s->acmeChallenges = rt->certManager->responder();
    }
    s->routes = compileRoutes(srv.routes, path + ".routes", ctx);
    rt->servers.push_back(std::move(s));
  }
  stapleLoaded(config, tlsApp, *rt, previous);
  return rt;
}

}  // namespace gatehouse::provision
