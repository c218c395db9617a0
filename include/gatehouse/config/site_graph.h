#pragma once
// The site graph: Gatehouse's typed configuration model. It maps one-to-one onto Caddy's
// JSON config schema, so it prints as the JSON `caddy adapt` prints and a Caddy JSON config
// loads into it.
//
// Structure (apps, servers, routes, matcher sets, handlers, TLS automation) is typed. The
// body of a module (a handler's options, a matcher's value, an issuer) is kept as JSON here
// and decoded into a typed runtime object when the runtime provisions it, as Caddy itself
// keeps modules as raw JSON until provisioning. Fields this model does not name are kept in
// `extra` so a JSON config round-trips unchanged.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gatehouse::config {

// Insertion-ordered JSON, so objects print in Caddy's field order.
using Json = nlohmann::ordered_json;

struct Route;

// One handler module in a route: {"handler": name, ...fields}.
struct Handler {
  std::string name;
  Json fields = Json::object();  // every key but "handler", in order
  // Only for name == "subroute": its routes and error routes, typed so the adapter can
  // group and flatten them.
  std::vector<Route> routes;
  std::optional<std::vector<Route>> errors;

  static Handler subroute(std::vector<Route> routes);
};

// A matcher set: matcher module name -> its config; all of one set must match (AND).
using MatcherSet = Json;

struct Route {
  std::string group;
  std::vector<MatcherSet> match;  // any set may match (OR); empty = always
  std::vector<Handler> handle;
  bool terminal = false;
};

struct AutomaticHttps {
  bool disable = false;
  bool disableRedirects = false;
  bool disableCertificates = false;
  std::vector<std::string> skip;
  std::vector<std::string> skipCertificates;
  bool ignoreLoadedCertificates = false;
  Json extra = Json::object();
};

struct Server {
  std::vector<std::string> listen;
  std::vector<Route> routes;
  std::optional<std::vector<Route>> errors;  // "errors": {"routes": [...]}
  std::vector<std::pair<std::string, Route>> namedRoutes;
  Json tlsConnectionPolicies;  // null when absent, else an array
  std::optional<AutomaticHttps> automaticHttps;
  Json logs;  // null when absent
  // Every other server option (timeouts, protocols, trusted_proxies, listener_wrappers ...),
  // each under its Caddy JSON key.
  Json options = Json::object();
};

struct HttpApp {
  Json options = Json::object();  // http_port, https_port, grace_period, shutdown_delay, metrics ...
  std::vector<std::pair<std::string, Server>> servers;  // in name order ("srv0", "srv1" ...)
};

struct AutomationPolicy {
  std::vector<std::string> subjects;
  std::vector<Json> issuers;  // issuer modules, e.g. {"module": "acme", ...}
  Json getCertificate;        // null or array of manager modules
  std::string keyType;
  bool onDemand = false;
  Json extra = Json::object();  // must_staple, renewal_window_ratio, storage, reuse_private_keys ...
};

struct TlsApp {
  Json certificates;  // null or {"load_files": [...], "automate": [...], ...}
  std::vector<AutomationPolicy> policies;
  Json automationExtra = Json::object();  // on_demand, ocsp_interval, renew_interval ...
  Json extra = Json::object();            // session_tickets, cache, disable_ocsp_stapling ...
  [[nodiscard]] bool empty() const;
};

struct Config {
  Json admin;    // null when absent
  Json logging;  // null when absent
  Json storage;  // null when absent
  std::optional<HttpApp> http;
  std::optional<TlsApp> tls;
  std::map<std::string, Json> otherApps;  // pki, events, layer4 ... as JSON
  Json extra = Json::object();            // other top-level keys
};

// Caddy-schema JSON for the config, with Caddy's key order (struct fields in declaration
// order, map keys sorted as Go's encoder sorts them).
Json toJson(const Config& config);
Json toJson(const Route& route);
Json toJson(const Handler& handler);

// Loads a Caddy JSON config. Throws std::invalid_argument naming the JSON path
// ("apps.http.servers.srv0.routes[2].handle[0]: missing \"handler\"") on malformed input.
Config configFromJson(const Json& json);
Route routeFromJson(const Json& json, const std::string& path);
Handler handlerFromJson(const Json& json, const std::string& path);

// Serialises like Go's encoding/json as Caddy prints it: compact, or indented by `indent`
// spaces (tab when indent < 0); <, > and & escaped as \u003c, \u003e, \u0026.
std::string dump(const Json& json, bool pretty);

}  // namespace gatehouse::config
