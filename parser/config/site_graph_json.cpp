// Site graph <-> Caddy JSON. Struct-like objects print their keys in Caddy's field order;
// maps (apps, servers, matcher sets) print sorted, as Go's encoder prints them.

#include <algorithm>
#include <stdexcept>

#include "config/caddy_key_order.h"
#include "config/json_writer.h"
#include "config/site_graph_skeleton.h"
#include "gatehouse/config/policy_marker.h"
#include "gatehouse/config/site_graph.h"

namespace gatehouse::config {
namespace {

// An object with room for `n` keys. ordered_json keeps keys in a vector of pair<const string,
// json>, whose move may throw, so growing it deep-copies every value already inserted; with a
// server's routes inside that is a copy of the whole config. Reserving first avoids it.
Json objectWithRoom(std::size_t n) {
  Json out = Json::object();
  out.get_ref<Json::object_t&>().reserve(n);
  return out;
}

void putIf(Json& out, const char* key, const Json& value) {
  if (!value.is_null()) {
    out[key] = value;
  }
}

// Copies `from`'s keys into `out`, the ones in `order` first (in that order), then the rest.
void putOrdered(Json& out, const Json& from, std::initializer_list<const char*> order) {
  for (const char* key : order) {
    if (from.contains(key)) {
      out[key] = from.at(key);
    }
  }
  for (const auto& [key, value] : from.items()) {
    if (!out.contains(key)) {
      out[key] = value;
    }
  }
}

Json sortedObject(const Json& obj) {
  if (!obj.is_object()) {
    return obj;
  }
  std::vector<std::string> keys;
  for (const auto& item : obj.items()) {
    keys.push_back(item.key());
  }
  std::sort(keys.begin(), keys.end());
  Json out = objectWithRoom(keys.size());
  for (const auto& key : keys) {
    out[key] = obj.at(key);
  }
  return out;
}

Json routesJson(const std::vector<Route>& routes) {
  Json arr = Json::array();
  for (const auto& r : routes) {
    arr.push_back(toJson(r));
  }
  return arr;
}

// With `skeleton`, "routes", "errors" and "named_routes" hold null in their places.
Json serverJson(const Server& s, bool skeleton) {
  Json out = Json::object();
  if (!s.listen.empty()) {
    out["listen"] = s.listen;
  }
  putOrdered(
      out, s.options,
      {"listener_wrappers", "read_timeout", "read_header_timeout", "write_timeout", "idle_timeout",
       "keepalive_interval", "keepalive_idle", "keepalive_count", "max_header_bytes", "enable_full_duplex"});
  // The options loop above also copied keys that belong later; rebuild in full order.
  Json ordered = objectWithRoom(16 + s.options.size());
  for (const char* key : {"listen", "listener_wrappers", "read_timeout", "read_header_timeout",
                          "write_timeout", "idle_timeout", "keepalive_interval", "keepalive_idle",
                          "keepalive_count", "max_header_bytes", "enable_full_duplex"}) {
    if (out.contains(key)) {
      ordered[key] = std::move(out[key]);
    }
  }
  if (!s.routes.empty()) {
    ordered["routes"] = skeleton ? Json() : routesJson(s.routes);
  }
  if (s.errors) {
    ordered["errors"] = skeleton ? Json() : Json{{"routes", routesJson(*s.errors)}};
  }
  if (skeleton && !s.namedRoutes.empty()) {
    ordered["named_routes"] = Json();
  } else if (!s.namedRoutes.empty()) {
    Json named = objectWithRoom(s.namedRoutes.size());
    std::vector<const std::pair<std::string, Route>*> sortedNamed;
    for (const auto& entry : s.namedRoutes)
      sortedNamed.push_back(&entry);
    std::sort(sortedNamed.begin(), sortedNamed.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* entry : sortedNamed) {
      named[entry->first] = toJson(entry->second);
    }
    ordered["named_routes"] = std::move(named);
  }
  putIf(ordered, "tls_connection_policies", connectionPoliciesInCaddyOrder(s.tlsConnectionPolicies));
  if (s.automaticHttps) {
    const auto& a = *s.automaticHttps;
    Json ah = Json::object();
    if (a.disable)
      ah["disable"] = true;
    if (a.disableRedirects)
      ah["disable_redirects"] = true;
    if (a.disableCertificates)
      ah["disable_certificates"] = true;
    if (!a.skip.empty())
      ah["skip"] = a.skip;
    if (!a.skipCertificates.empty())
      ah["skip_certificates"] = a.skipCertificates;
    if (a.ignoreLoadedCertificates)
      ah["ignore_loaded_certificates"] = true;
    for (const auto& [k, v] : a.extra.items())
      ah[k] = v;
    ordered["automatic_https"] = std::move(ah);
  }
  putOrdered(ordered, s.options,
             {"strict_sni_host", "trusted_proxies", "client_ip_headers", "trusted_proxies_strict"});
  Json tail = Json::object();
  putIf(tail, "logs", serverLogsInCaddyOrder(s.logs));
  for (auto& [k, v] : tail.items())
    ordered[k] = std::move(v);
  // Whatever options are left (protocols, metrics ...) follow, in their own order.
  for (const auto& [k, v] : s.options.items()) {
    if (!ordered.contains(k))
      ordered[k] = v;
  }
  // logs belongs before protocols in Caddy's struct; move protocols-type keys after it.
  for (const char* key : kServerTailKeys) {
    if (ordered.contains(key)) {
      Json v = std::move(ordered[key]);
      ordered.erase(key);
      ordered[key] = std::move(v);
    }
  }
  return ordered;
}

Json policyJson(const AutomationPolicy& p) {
  Json out = Json::object();
  if (!p.subjects.empty())
    out["subjects"] = p.subjects;
  // Issuers and certificate managers are modules: all their keys print sorted.
  if (!p.issuers.empty())
    out["issuers"] = sortedDeep(p.issuers);
  putIf(out, "get_certificate", sortedDeep(p.getCertificate));
  Json rest = p.extra;
  rest.erase(kProvisionWhenUsed);  // in memory only
  for (const char* key : {"must_staple", "renewal_window_ratio"}) {
    if (rest.contains(key)) {
      out[key] = rest[key];
      rest.erase(key);
    }
  }
  if (!p.keyType.empty())
    out["key_type"] = p.keyType;
  if (rest.contains("storage")) {
    out["storage"] = rest["storage"];
    rest.erase("storage");
  }
  if (p.onDemand)
    out["on_demand"] = true;
  for (const auto& [k, v] : rest.items())
    out[k] = v;
  return out;
}

Json tlsJson(const TlsApp& t) {
  Json out = Json::object();
  putIf(out, "certificates", t.certificates);
  Json automation = Json::object();
  if (!t.policies.empty()) {
    Json arr = Json::array();
    for (const auto& p : t.policies)
      arr.push_back(policyJson(p));
    automation["policies"] = std::move(arr);
  }
  for (const auto& [k, v] : t.automationExtra.items())
    automation[k] = v;
  if (!automation.empty())
    out["automation"] = std::move(automation);
  for (const auto& [k, v] : t.extra.items())
    out[k] = v;
  return tlsAppInCaddyOrder(out);
}

// With `skeleton`, each server is null.
Json httpJson(const HttpApp& h, bool skeleton) {
  Json out = objectWithRoom(8 + h.options.size());
  for (const char* key : {"http_port", "https_port", "grace_period", "shutdown_delay"}) {
    if (h.options.contains(key))
      out[key] = h.options.at(key);
  }
  if (!h.servers.empty()) {
    // Go prints maps sorted by key; sort pointers, not the servers themselves.
    std::vector<const std::pair<std::string, Server>*> servers;
    for (const auto& entry : h.servers)
      servers.push_back(&entry);
    std::sort(servers.begin(), servers.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    Json& s = out["servers"] = objectWithRoom(servers.size());
    for (const auto* entry : servers)
      s[entry->first] = skeleton ? Json() : serverJson(entry->second, false);
  }
  for (const auto& [k, v] : h.options.items()) {
    if (!out.contains(k))
      out[k] = v;
  }
  return out;
}

// ---- loading ----

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw std::invalid_argument(path + ": " + what);
}

// Go's decoder leaves a known struct field, map or slice at its zero value for null; an
// unknown key is refused whatever its value, so only the fields a loader reads skip null.
bool nullField(const std::string& key, const Json& value, std::initializer_list<const char*> known) {
  return value.is_null() && std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
}

const Json& expect(const Json& j, const std::string& path, bool (Json::*test)() const noexcept,
                   const char* kind) {
  if (!(j.*test)()) {
    bad(path, std::string("expected ") + kind + ", got " + j.type_name());
  }
  return j;
}

bool boolAt(const Json& j, const std::string& path) {
  return expect(j, path, &Json::is_boolean, "a boolean").get<bool>();
}

std::string stringAt(const Json& j, const std::string& path) {
  return expect(j, path, &Json::is_string, "a string").get<std::string>();
}

std::vector<std::string> stringList(const Json& j, const std::string& path) {
  expect(j, path, &Json::is_array, "an array");
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    expect(j[i], path + "[" + std::to_string(i) + "]", &Json::is_string, "a string");
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

std::vector<Route> routesFromJson(const Json& j, const std::string& path) {
  std::vector<Route> out;
  if (j.is_null()) {
    return out;  // a null list decodes as an empty one in Go
  }
  expect(j, path, &Json::is_array, "an array of routes");
  for (size_t i = 0; i < j.size(); ++i) {
    out.push_back(routeFromJson(j[i], path + "[" + std::to_string(i) + "]"));
  }
  return out;
}

Server serverFromJson(const Json& j, const std::string& path) {
  expect(j, path, &Json::is_object, "an object");
  Server s;
  for (const auto& [key, value] : j.items()) {
    const std::string p = path + "." + key;
    if (nullField(key, value,
                  {"listen", "routes", "errors", "named_routes", "tls_connection_policies", "automatic_https",
                   "logs"})) {
      continue;
    }
    if (key == "listen") {
      s.listen = stringList(value, p);
    } else if (key == "routes") {
      s.routes = routesFromJson(value, p);
    } else if (key == "errors") {
      expect(value, p, &Json::is_object, "an object");
      for (const auto& [k, v] : value.items()) {
        if (k != "routes") {
          bad(p + "." + k, "unknown field \"" + k + "\" (an errors object holds only routes)");
        }
      }
      s.errors =
          value.contains("routes") ? routesFromJson(value.at("routes"), p + ".routes") : std::vector<Route>{};
    } else if (key == "named_routes") {
      expect(value, p, &Json::is_object, "an object");
      for (const auto& [name, r] : value.items()) {
        s.namedRoutes.emplace_back(name, routeFromJson(r, p + "." + name));
      }
    } else if (key == "tls_connection_policies") {
      s.tlsConnectionPolicies = expect(value, p, &Json::is_array, "an array");
    } else if (key == "automatic_https") {
      expect(value, p, &Json::is_object, "an object");
      AutomaticHttps a;
      for (const auto& [k, v] : value.items()) {
        if (nullField(k, v,
                      {"disable", "disable_redirects", "disable_certificates", "skip", "skip_certificates",
                       "ignore_loaded_certificates"}))
          continue;
        if (k == "disable")
          a.disable = boolAt(v, p + ".disable");
        else if (k == "disable_redirects")
          a.disableRedirects = boolAt(v, p + ".disable_redirects");
        else if (k == "disable_certificates")
          a.disableCertificates = boolAt(v, p + ".disable_certificates");
        else if (k == "skip")
          a.skip = stringList(v, p + ".skip");
        else if (k == "skip_certificates")
          a.skipCertificates = stringList(v, p + ".skip_certificates");
        else if (k == "ignore_loaded_certificates")
          a.ignoreLoadedCertificates = boolAt(v, p + ".ignore_loaded_certificates");
        else
          a.extra[k] = v;
      }
      s.automaticHttps = a;
    } else if (key == "logs") {
      s.logs = value;
    } else {
      s.options[key] = value;
    }
  }
  return s;
}

AutomationPolicy policyFromJson(const Json& j, const std::string& path) {
  expect(j, path, &Json::is_object, "an object");
  AutomationPolicy p;
  for (const auto& [key, value] : j.items()) {
    if (nullField(key, value, {"subjects", "issuers", "get_certificate", "key_type", "on_demand"}))
      continue;
    if (key == "subjects")
      p.subjects = stringList(value, path + ".subjects");
    else if (key == "issuers") {
      expect(value, path + ".issuers", &Json::is_array, "an array");
      for (const auto& i : value)
        p.issuers.push_back(i);
    } else if (key == "get_certificate")
      p.getCertificate = value;
    else if (key == "key_type")
      p.keyType = stringAt(value, path + ".key_type");
    else if (key == "on_demand")
      p.onDemand = boolAt(value, path + ".on_demand");
    else if (key != kProvisionWhenUsed)
      p.extra[key] = value;
  }
  return p;
}

TlsApp tlsFromJson(const Json& j, const std::string& path) {
  expect(j, path, &Json::is_object, "an object");
  TlsApp t;
  for (const auto& [key, value] : j.items()) {
    if (nullField(key, value, {"certificates", "automation"}))
      continue;
    if (key == "certificates") {
      t.certificates = value;
    } else if (key == "automation") {
      expect(value, path + ".automation", &Json::is_object, "an object");
      for (const auto& [k, v] : value.items()) {
        if (nullField(k, v, {"policies"}))
          continue;
        if (k == "policies") {
          expect(v, path + ".automation.policies", &Json::is_array, "an array");
          for (size_t i = 0; i < v.size(); ++i) {
            t.policies.push_back(
                policyFromJson(v[i], path + ".automation.policies[" + std::to_string(i) + "]"));
          }
        } else {
          t.automationExtra[k] = v;
        }
      }
    } else {
      t.extra[key] = value;
    }
  }
  return t;
}

}  // namespace

Handler Handler::subroute(std::vector<Route> routes) {
  Handler h;
  h.name = "subroute";
  h.routes = std::move(routes);
  return h;
}

bool TlsApp::empty() const {
  return certificates.is_null() && policies.empty() && automationExtra.empty() && extra.empty();
}

Json toJson(const Handler& handler) {
  Json out = objectWithRoom(3 + handler.fields.size());
  out["handler"] = handler.name;
  if (handler.name == "subroute") {
    if (!handler.routes.empty())
      out["routes"] = routesJson(handler.routes);
    if (handler.errors)
      out["errors"] = Json{{"routes", routesJson(*handler.errors)}};
  }
  for (const auto& [k, v] : handler.fields.items())
    out[k] = v;
  // A handler is a module: Caddy prints all its keys sorted, at every depth.
  return sortedDeep(out);
}

Json toJson(const Route& route) {
  Json out = objectWithRoom(4);
  if (!route.group.empty())
    out["group"] = route.group;
  if (!route.match.empty()) {
    Json sets = Json::array();
    for (const auto& m : route.match)
      sets.push_back(sortedObject(m));
    out["match"] = std::move(sets);
  }
  if (!route.handle.empty()) {
    Json hs = Json::array();
    for (const auto& h : route.handle)
      hs.push_back(toJson(h));
    out["handle"] = std::move(hs);
  }
  if (route.terminal)
    out["terminal"] = true;
  return out;
}

namespace {

Json configJson(const Config& config, bool skeleton) {
  Json out = objectWithRoom(8 + config.extra.size());
  putIf(out, "admin", config.admin);
  putIf(out, "logging", loggingInCaddyOrder(config.logging));
  putIf(out, "storage", config.storage);
  std::map<std::string, Json> apps = config.otherApps;
  if (config.http)
    apps["http"] = httpJson(*config.http, skeleton);
  if (config.tls && !config.tls->empty())
    apps["tls"] = tlsJson(*config.tls);
  if (auto pki = apps.find("pki"); pki != apps.end())
    pki->second = pkiAppInCaddyOrder(pki->second);
  if (!apps.empty()) {
    Json a = objectWithRoom(apps.size());
    for (auto& [k, v] : apps)
      a[k] = std::move(v);
    out["apps"] = std::move(a);
  }
  for (const auto& [k, v] : config.extra.items())
    out[k] = v;
  return out;
}

}  // namespace

Json toJson(const Config& config) {
  return configJson(config, false);
}

Json configSkeleton(const Config& config) {
  return configJson(config, true);
}

Json serverSkeleton(const Server& server) {
  return serverJson(server, true);
}

Handler handlerFromJson(const Json& j, const std::string& path) {
  expect(j, path, &Json::is_object, "an object");
  if (!j.contains("handler") || !j.at("handler").is_string()) {
    bad(path, "missing \"handler\" (the handler module name)");
  }
  Handler h;
  h.name = j.at("handler").get<std::string>();
  for (const auto& [key, value] : j.items()) {
    if (key == "handler")
      continue;
    if (h.name == "subroute" && key == "routes") {
      h.routes = routesFromJson(value, path + ".routes");
    } else if (h.name == "subroute" && key == "errors") {
      expect(value, path + ".errors", &Json::is_object, "an object");
      h.errors = value.contains("routes") ? routesFromJson(value.at("routes"), path + ".errors.routes")
                                          : std::vector<Route>{};
    } else {
      h.fields[key] = value;
    }
  }
  return h;
}

Route routeFromJson(const Json& j, const std::string& path) {
  expect(j, path, &Json::is_object, "an object");
  Route r;
  for (const auto& [key, value] : j.items()) {
    const std::string p = path + "." + key;
    if (nullField(key, value, {"group", "match", "handle", "terminal"})) {
      continue;
    }
    if (key == "group") {
      r.group = stringAt(value, p);
    } else if (key == "match") {
      expect(value, p, &Json::is_array, "an array of matcher sets");
      for (size_t i = 0; i < value.size(); ++i) {
        r.match.push_back(expect(value[i], p + "[" + std::to_string(i) + "]", &Json::is_object, "an object"));
      }
    } else if (key == "handle") {
      expect(value, p, &Json::is_array, "an array of handlers");
      for (size_t i = 0; i < value.size(); ++i) {
        r.handle.push_back(handlerFromJson(value[i], p + "[" + std::to_string(i) + "]"));
      }
    } else if (key == "terminal") {
      r.terminal = boolAt(value, p);
    } else {
      bad(p, "unknown route field");
    }
  }
  return r;
}

Config configFromJson(const Json& j) {
  expect(j, "config", &Json::is_object, "an object");
  Config c;
  for (const auto& [key, value] : j.items()) {
    if (key == "admin")
      c.admin = value;
    else if (key == "logging")
      c.logging = value;
    else if (key == "storage") {
      if (value.is_null())
        bad("storage", "module name not specified with key 'module'");  // a null module, as Caddy
      c.storage = value;
    } else if (key == "apps" && value.is_null())
      continue;  // no apps, as Go decodes a null map
    else if (key == "apps") {
      expect(value, "apps", &Json::is_object, "an object");
      for (const auto& [app, body] : value.items()) {
        if (app == "http") {
          expect(body, "apps.http", &Json::is_object, "an object");
          HttpApp h;
          for (const auto& [k, v] : body.items()) {
            if (nullField(k, v, {"servers"})) {
              continue;
            }
            if (k == "servers") {
              expect(v, "apps.http.servers", &Json::is_object, "an object");
              for (const auto& [name, srv] : v.items()) {
                h.servers.emplace_back(name, serverFromJson(srv, "apps.http.servers." + name));
              }
            } else {
              h.options[k] = v;
            }
          }
          c.http = std::move(h);
        } else if (app == "tls") {
          c.tls = tlsFromJson(body, "apps.tls");
        } else {
          c.otherApps[app] = body;
        }
      }
    } else {
      c.extra[key] = value;
    }
  }
  return c;
}

std::string dump(const Json& json, bool pretty) {
  return escapeForHtml(pretty ? json.dump(1, '\t', false, Json::error_handler_t::replace)
                              : json.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace gatehouse::config
