// Site graph -> runtime snapshot. Everything the runtime cannot honour yet is refused here
// with its JSON path, before any socket is bound.

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "provision/handler_registry.h"
#include "provision/logging_provision.h"
#include "provision/provision_error.h"
#include "provision/runtime.h"

namespace gatehouse::provision {

using config::Json;

namespace {

router::RouteList compileRoutes(const std::vector<config::Route>& routes, const std::string& path,
                                const HandlerContext& ctx) {
  std::vector<router::CompiledRoute> out;
  handlers::RouteCompiler compiler = [&ctx](const std::vector<config::Route>& r, const std::string& p) {
    return compileRoutes(r, p, ctx);
  };
  for (size_t i = 0; i < routes.size(); ++i) {
    const std::string rp = path + "[" + std::to_string(i) + "]";
    const auto& r = routes[i];
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
        cr.handlers.push_back(makeHandler(r.handle[j], hp, compiler, ctx));
      } catch (const Json::exception& e) {
        // A field of the wrong JSON type: name the handler rather than crash.
        throw ProvisionError(hp, "malformed '" + r.handle[j].name + "' handler: " + e.what());
      }
    }
    out.push_back(std::move(cr));
  }
  return router::RouteList(std::move(out));
}

// certmagic.SubjectQualifiesForCert, roughly: a name Caddy would get a certificate for.
bool qualifiesForCertificate(const std::string& host) {
  if (host.empty() || host.find('{') != std::string::npos) {
    return false;
  }
  if (host.front() == '.' || host.back() == '.' || host.find("..") != std::string::npos) {
    return false;
  }
  for (char c : host) {
    if (c == ' ' || c == '~' || c == '`' || c == '!' || c == '@' || c == '#' || c == '$' || c == '%' ||
        c == '^' || c == '&' || c == '(' || c == ')' || c == '+' || c == '=' || c == ';' || c == ',' ||
        c == '"' || c == '\'' || c == '<' || c == '>' || c == '?' || c == '/' || c == '\\' || c == '|') {
      return false;
    }
  }
  return host.find('*') == std::string::npos || host.starts_with("*.");
}

uint16_t httpPortOf(const config::HttpApp& app) {
  if (app.options.contains("http_port") && app.options["http_port"].is_number_integer()) {
    return app.options["http_port"].get<uint16_t>();
  }
  return 80;
}

// Caddy's automatic HTTPS would turn on TLS for a server whose routes name hosts, unless all
// its listeners use the HTTP port or it is disabled. TLS is not implemented yet: refuse.
void checkAutomaticHttps(const config::HttpApp& app, const std::string& name, const config::Server& srv,
                         const ServerRuntime& rt, const std::string& path) {
  const auto& ah = srv.automaticHttps;
  if (ah && ah->disable) {
    return;
  }
  const uint16_t httpPort = httpPortOf(app);
  if (std::all_of(rt.listen.begin(), rt.listen.end(), [&](const ListenSpec& l) { return l.port == httpPort; })) {
    return;
  }
  for (size_t i = 0; i < srv.routes.size(); ++i) {
    for (const auto& set : srv.routes[i].match) {
      if (!set.contains("host") || !set["host"].is_array()) {
        continue;
      }
      for (const auto& h : set["host"]) {
        std::string host = h.is_string() ? h.get<std::string>() : "";
        if (!qualifiesForCertificate(host)) {
          continue;
        }
        if (ah && std::find(ah->skip.begin(), ah->skip.end(), host) != ah->skip.end()) {
          continue;
        }
        throw ProvisionError(path + ".routes[" + std::to_string(i) + "]",
                             "server '" + name + "' would serve '" + host +
                                 "' over HTTPS, but TLS and automatic certificates are not supported yet "
                                 "(use an http:// site address, listen on the http_port, or set "
                                 "automatic_https.disable)");
      }
    }
  }
}

void applyServerOptions(const config::Server& srv, ServerRuntime& rt, const std::string& path) {
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
      // h2 and h3 need TLS, which this server never offers yet, so over cleartext Caddy
      // speaks HTTP/1.1 only as well. h2c is a real cleartext protocol: refuse it.
      for (const auto& proto : value) {
        std::string v = proto.is_string() ? proto.get<std::string>() : "";
        if (v != "h1" && v != "h2" && v != "h3") {
          throw ProvisionError(p, "protocol '" + v + "' is not supported yet");
        }
      }
    } else if (key == "strict_sni_host" || key == "experimental_http3") {
      continue;  // meaningful only with TLS, which a server here never has
    } else if (key == "allow_h2c") {
      if (value.is_boolean() && value.get<bool>()) {
        throw ProvisionError(p, "h2c is not supported yet");
      }
    } else {
      throw ProvisionError(p, "server option '" + key + "' is not supported yet");
    }
  }
}

}  // namespace

std::chrono::milliseconds parseDuration(const Json& value, const std::string& path) {
  if (value.is_number_integer()) {
    return std::chrono::milliseconds(value.get<int64_t>() / 1'000'000);
  }
  if (!value.is_string()) {
    throw ProvisionError(path, "expected a duration");
  }
  const std::string s = value.get<std::string>();
  double totalMs = 0;
  size_t i = 0;
  if (s.empty()) {
    throw ProvisionError(path, "empty duration");
  }
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
      ++i;
    }
    if (start == i) {
      throw ProvisionError(path, "invalid duration '" + s + "'");
    }
    double n = std::stod(s.substr(start, i - start));
    size_t ustart = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
    std::string unit = s.substr(ustart, i - ustart);
    double ms = 0;
    if (unit == "ns") {
      ms = n / 1e6;
    } else if (unit == "us" || unit == "µs") {
      ms = n / 1e3;
    } else if (unit == "ms") {
      ms = n;
    } else if (unit == "s") {
      ms = n * 1e3;
    } else if (unit == "m") {
      ms = n * 60e3;
    } else if (unit == "h") {
      ms = n * 3600e3;
    } else if (unit == "d") {
      ms = n * 86400e3;
    } else if (unit.empty() && n == 0) {
      ms = 0;
    } else {
      throw ProvisionError(path, "invalid duration '" + s + "'");
    }
    totalMs += ms;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(totalMs));
}

ListenSpec parseListen(const std::string& addr, const std::string& path, std::vector<ListenSpec>& expanded) {
  ListenSpec spec;
  spec.original = addr;
  std::string rest = addr;
  size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    spec.network = rest.substr(0, slash);
    rest = rest.substr(slash + 1);
    if (spec.network != "tcp" && spec.network != "tcp4" && spec.network != "tcp6") {
      throw ProvisionError(path, "listener network '" + spec.network + "' is not supported yet");
    }
  }
  if (rest.find('{') != std::string::npos) {
    throw ProvisionError(path, "placeholders in listen addresses are not supported yet");
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
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoi(p) > 65535) {
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

std::unique_ptr<Runtime> provisionRuntime(const config::Config& config) {
  auto rt = std::make_unique<Runtime>();
  if (!config.admin.is_null()) {
    // The admin API is not implemented; only "admin off" (or an empty object) says nothing
    // we would ignore.
    bool disabled = config.admin.is_object() && config.admin.value("disabled", false);
    if (!disabled && !(config.admin.is_object() && config.admin.empty())) {
      throw ProvisionError("admin", "the admin endpoint is not supported yet (set \"disabled\": true)");
    }
  }
  for (const auto& [key, _] : config.extra.items()) {
    throw ProvisionError(key, "top-level field '" + key + "' is not supported yet");
  }
  for (const auto& [name, _] : config.otherApps) {
    throw ProvisionError("apps." + name, "app '" + name + "' is not supported yet");
  }
  if (config.tls && !config.tls->empty()) {
    throw ProvisionError("apps.tls", "the tls app (certificates and automation) is not supported yet");
  }
  rt->logs = provisionLogging(config);
  if (!config.http) {
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
    } else if (key == "metrics") {
      if (!value.is_object() || !value.empty()) {
        throw ProvisionError(p, "metrics options are not supported yet");
      }
    } else if (key == "http_port" || key == "https_port" || key == "shutdown_delay") {
      continue;  // http_port feeds the HTTPS check; shutdown_delay only delays exit
    } else {
      throw ProvisionError(p, "http app option '" + key + "' is not supported yet");
    }
  }
  for (const auto& [name, srv] : app.servers) {
    const std::string path = "apps.http.servers." + name;
    auto s = std::make_unique<ServerRuntime>();
    s->name = name;
    for (size_t i = 0; i < srv.listen.size(); ++i) {
      parseListen(srv.listen[i], path + ".listen[" + std::to_string(i) + "]", s->listen);
    }
    if (s->listen.empty()) {
      throw ProvisionError(path + ".listen", "a server needs at least one listen address");
    }
    if (!srv.tlsConnectionPolicies.is_null()) {
      throw ProvisionError(path + ".tls_connection_policies", "TLS is not supported yet");
    }
    if (srv.errors) {
      throw ProvisionError(path + ".errors", "error routes (handle_errors) are not supported yet");
    }
    if (!srv.namedRoutes.empty()) {
      throw ProvisionError(path + ".named_routes", "named routes are not supported yet");
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
    checkAutomaticHttps(app, name, srv, *s, path);
    s->metrics = rt->metrics.get();
    s->routes = compileRoutes(srv.routes, path + ".routes", HandlerContext{name, rt->metrics.get()});
    rt->servers.push_back(std::move(s));
  }
  return rt;
}

}  // namespace gatehouse::provision
