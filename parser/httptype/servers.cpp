// One HTTP server per listener pairing: site ordering, host/path matchers, per-site
// subroutes, error routes, automatic HTTPS hints, TLS policies and access-log mapping.

#include "httptype/servers.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>

#include "httptype/go_sort.h"
#include "httptype/net_addr.h"
#include "httptype/routes.h"

namespace gatehouse::parser {
namespace {

std::string stringOption(const AdaptState& state, const char* name) {
  auto it = state.options.find(name);
  return it != state.options.end() && it->second.is_string() ? it->second.get<std::string>() : "";
}

std::vector<std::string> listOption(const AdaptState& state, const char* name) {
  auto it = state.options.find(name);
  std::vector<std::string> out;
  if (it == state.options.end()) {
    return out;
  }
  if (it->second.is_string()) {
    return {it->second.get<std::string>()};
  }
  if (it->second.is_array()) {
    for (const auto& v : it->second) {
      if (v.is_string()) {
        out.push_back(v.get<std::string>());
      }
    }
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Go's %v of a []string: "[a b c]".
std::string goList(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    s += (i ? " " : "") + v[i];
  }
  return s + "]";
}

// Length without wildcards and placeholders: how specific a host or path is.
int specificity(const std::string& s) {
  int l = static_cast<int>(s.size() - static_cast<size_t>(std::count(s.begin(), s.end(), '*')));
  std::string rest = s;
  while (!rest.empty()) {
    size_t start = rest.find('{');
    if (start == std::string::npos) {
      return l;
    }
    size_t close = rest.find('}', start);
    if (close == std::string::npos) {
      return l;
    }
    l -= static_cast<int>(close + 1 - start);
    rest = rest.substr(close + 1);
  }
  return l;
}

struct Specificity {
  std::string host;
  std::string path;
  bool wildcard = false;
};

Specificity specificityOf(const SiteBlock& sb) {
  Specificity s;
  for (const auto& a : sb.keys) {
    if (a.host.find('*') != std::string::npos || a.host.empty()) {
      s.wildcard = true;
    }
    if (specificity(a.host) > specificity(s.host)) {
      s.host = a.host;
    }
    if (specificity(a.path) > specificity(s.path)) {
      s.path = a.path;
    }
  }
  return s;
}

// Most specific site first: only the first matching site runs. Catch-alls go last, and
// wildcard hosts after exact ones.
void sortSites(std::vector<SiteBlock*>& blocks) {
  gosort::sliceStable(blocks, [](SiteBlock* a, SiteBlock* b) {
    Specificity i = specificityOf(*a);
    Specificity j = specificityOf(*b);
    if (specificity(i.host) == 0) {
      return false;
    }
    if (specificity(j.host) == 0) {
      return true;
    }
    if (i.wildcard != j.wildcard) {
      return j.wildcard && !i.wildcard;
    }
    if (specificity(i.host) == specificity(j.host)) {
      return i.path.size() > j.path.size();
    }
    return specificity(i.host) > specificity(j.host);
  });
}

// Host and path matchers from the site keys; keys sharing a path share one matcher set.
std::vector<config::MatcherSet> siteMatcherSets(const SiteBlock& sb) {
  struct Pair {
    std::vector<std::string> hosts;
    std::vector<std::string> paths;
  };
  std::vector<Pair> pairs;
  bool catchAll = false;
  for (const auto& a : sb.keys) {
    Pair* chosen = nullptr;
    for (auto& p : pairs) {
      if ((p.paths.empty() && a.path.empty()) || (p.paths.size() == 1 && p.paths[0] == a.path)) {
        chosen = &p;
        break;
      }
    }
    if (chosen == nullptr) {
      pairs.push_back({});
      chosen = &pairs.back();
      if (!a.path.empty()) {
        chosen->paths.push_back(a.path);
      }
    }
    if (a.host.empty() && !catchAll) {
      chosen->hosts.clear();
      catchAll = true;
    }
    if (catchAll) {
      continue;
    }
    if (!a.host.empty() && !contains(chosen->hosts, a.host)) {
      chosen->hosts.push_back(a.host);
    }
  }
  std::vector<config::MatcherSet> sets;
  for (const auto& p : pairs) {
    Json set = Json::object();
    if (!p.hosts.empty()) {
      set["host"] = p.hosts;
    }
    if (!p.paths.empty()) {
      set["path"] = p.paths;
    }
    if (!set.empty()) {
      sets.push_back(set);
    }
  }
  return sets;
}

bool hasHostMatcher(const std::vector<config::Route>& routes) {
  for (const auto& r : routes) {
    for (const auto& set : r.match) {
      if (set.is_object() && set.contains("host")) {
        return true;
      }
    }
  }
  return false;
}

// Appends a site's routes to a server's list: wrapped in a terminal subroute matched on
// the site's keys, unless it is the server's only site, has no key matchers and no inner
// host matcher (an inner host matcher at top level would change automatic HTTPS).
void appendSiteRoutes(std::vector<config::Route>& list, std::vector<config::Route> routes,
                      const std::vector<config::MatcherSet>& matchers, size_t siteCount) {
  if (matchers.empty() && routes.empty()) {
    return;
  }
  bool wrap = true;
  if (matchers.empty() && siteCount == 1) {
    wrap = hasHostMatcher(routes);
  }
  if (!wrap) {
    for (auto& r : routes) {
      list.push_back(std::move(r));
    }
    return;
  }
  config::Route route;
  route.terminal = true;
  route.match = matchers;
  if (!routes.empty()) {
    route.handle.push_back(config::Handler::subroute(std::move(routes)));
  }
  if (!route.match.empty() || !route.handle.empty()) {
    list.push_back(std::move(route));
  }
}

std::vector<config::Route> siteErrorRoutes(const SiteBlock& sb) {
  auto it = sb.pile.find("error_route");
  std::vector<const config::Route*> subs;
  for (const auto& v : it->second) {
    if (v.isRoute() && !v.route().handle.empty()) {
      subs.push_back(&v.route());
    }
  }
  auto firstMatchless = [](const config::Route* r) {
    const auto& routes = r->handle.front().routes;
    return !routes.empty() && routes.front().match.empty();
  };
  // error routes with a status matcher go before catch-all ones
  gosort::sliceStable(subs, [&](const config::Route* a, const config::Route* b) {
    const auto& bRoutes = b->handle.front().routes;
    return !(firstMatchless(a) && !bRoutes.empty() && !bRoutes.front().match.empty());
  });
  std::vector<config::Route> routes;
  for (const auto* s : subs) {
    for (const auto& r : s->handle.front().routes) {
      routes.push_back(r);
    }
  }
  return routes;
}

// A key may name one site only; reports the first key, in block order, that another block
// also names. Indexed by key so thousands of sites stay linear.
void checkAmbiguousSites(const Pairing& p) {
  constexpr size_t kNone = static_cast<size_t>(-1);
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> blocksOfKey;
  for (size_t j = 0; j < p.blocks.size(); ++j) {
    for (const auto& key : p.blocks[j]->block.keys) {
      auto [it, fresh] = blocksOfKey.try_emplace(key.text, j, kNone);
      if (!fresh && it->second.first != j && it->second.second == kNone) {
        it->second.second = j;
      }
    }
  }
  for (size_t j = 0; j < p.blocks.size(); ++j) {
    for (const auto& key : p.blocks[j]->block.keys) {
      const auto& [first, second] = blocksOfKey.at(key.text);
      if (first != j || (second != kNone && second != j)) {
        throw ConfigError(key.loc, "ambiguous site definition: " + key.text);
      }
    }
  }
}

config::AutomaticHttps& autoHttps(config::Server& srv) {
  if (!srv.automaticHttps) {
    srv.automaticHttps = config::AutomaticHttps{};
  }
  return *srv.automaticHttps;
}

void applyAutoHttpsOption(config::Server& srv, const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (v == "off") {
      autoHttps(srv).disable = true;
    } else if (v == "disable_redirects") {
      autoHttps(srv).disableRedirects = true;
    } else if (v == "disable_certs") {
      autoHttps(srv).disableCertificates = true;
    } else if (v == "ignore_loaded_certs") {
      autoHttps(srv).ignoreLoadedCertificates = true;
    }
  }
}

void setListenProtocols(config::Server& srv, const Pairing& p) {
  bool any = false;
  Json arr = Json::array();
  for (const auto& prots : p.protocols) {
    arr.push_back(prots.empty() ? Json(nullptr) : Json(prots));
    any = any || !prots.empty();
  }
  if (any) {
    srv.options["listen_protocols"] = arr;
  }
}

// The named routes a server's sites invoke, with the ones those invoke in turn.
void addNamedRoutes(config::Server& srv, const Pairing& p, const NamedRoutes& named) {
  std::vector<std::string> pending;
  for (const auto* sb : p.blocks) {
    auto it = sb->pile.find("named_route");
    if (it == sb->pile.end()) {
      continue;
    }
    for (const auto& v : it->second) {
      if (!v.isRoute() && v.json().is_string()) {
        pending.push_back(v.json().get<std::string>());
      }
    }
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    const std::string name = pending[i];
    auto def = named.find(name);
    if (def == named.end()) {
      throw ConfigError("cannot invoke named route '" + name + "', which was not defined");
    }
    bool have = std::any_of(srv.namedRoutes.begin(), srv.namedRoutes.end(),
                            [&name](const auto& nr) { return nr.first == name; });
    if (have) {
      continue;
    }
    srv.namedRoutes.emplace_back(name, def->second.route);
    for (const auto& next : def->second.invokes) {
      pending.push_back(next);
    }
  }
}

struct Ports {
  std::string http;
  std::string https;
};

void detectConflictingSchemes(const config::Server& srv, const Pairing& p, const Ports& ports,
                              const std::vector<Json>& policies) {
  std::string mode;
  const std::string listen = goList(srv.listen);
  for (const auto* sb : p.blocks) {
    for (const auto& a : sb->keys) {
      bool http = a.scheme == "http" || a.port == ports.http;
      bool https = !http && (a.scheme == "https" || a.port == ports.https || !policies.empty());
      if (!http && !https && a.host.empty()) {
        http = true;
      }
      if (http) {
        if (mode == "HTTPS") {
          std::string msg =
              "server listening on " + listen +
              " is configured for HTTPS and cannot natively multiplex HTTP and HTTPS: " + a.original;
          if (a.scheme.empty() && a.host.empty()) {
            msg += " (try specifying https:// in the address)";
          }
          throw ConfigError(msg);
        }
        if (!policies.empty()) {
          throw ConfigError("server listening on " + listen +
                            " is HTTP, but attempts to configure TLS connection policies");
        }
        mode = "HTTP";
      } else if (https) {
        if (mode == "HTTP") {
          throw ConfigError(
              "server listening on " + listen +
              " is configured for HTTP and cannot natively multiplex HTTP and HTTPS: " + a.original);
        }
        mode = "HTTPS";
      }
    }
  }
}

struct TlsTally {
  bool hasCatchAll = false;
  bool qualifies = false;
  bool autoWillAdd = true;
};

// Automatic-HTTPS bookkeeping for one site: explicit http:// hosts skip certificates, and
// whether this server needs a catch-all TLS connection policy.
void tallySiteTls(config::Server& srv, const SiteBlock& sb, const Ports& ports, TlsTally& t) {
  const bool hasPolicies = sb.has("tls.connection_policy");
  for (const auto& a : sb.keys) {
    bool otherPort = std::any_of(srv.listen.begin(), srv.listen.end(), [&](const std::string& ln) {
      return listenerUsesPortOtherThan(ln, std::stoi(ports.http));
    });
    if (otherPort && a.scheme == "http" && !a.host.empty() && !contains(autoHttps(srv).skip, a.host)) {
      autoHttps(srv).skip.push_back(a.host);
    }
    // A server without auto_https settings still automates its named hosts (caddy 2.6.2 gives
    // `example.com` with only `default_sni` set its catch-all connection policy).
    bool tlsEnabled = hasPolicies || (!a.host.empty() &&
                                      (!srv.automaticHttps || !contains(srv.automaticHttps->skip, a.host)));
    if (a.scheme == "https" || (a.scheme != "http" && a.port != ports.http && tlsEnabled)) {
      t.qualifies = true;
    }
    t.autoWillAdd = t.autoWillAdd && (a.port == ports.https || (a.port != ports.http && !a.host.empty()));
  }
}

config::Server buildServer(Pairing& p, size_t index, AdaptState& state, const NamedRoutes& named) {
  const Ports ports{std::to_string(httpPortOption(state)), std::to_string(httpsPortOption(state))};
  const std::string defaultSni = stringOption(state, "default_sni");
  const std::string fallbackSni = stringOption(state, "fallback_sni");
  checkAmbiguousSites(p);

  config::Server srv;
  srv.listen = p.addresses;
  setListenProtocols(srv, p);
  applyAutoHttpsOption(srv, listOption(state, "auto_https"));
  sortSites(p.blocks);

  TlsTally tally;
  tally.autoWillAdd = !srv.automaticHttps || !srv.automaticHttps->disable;
  for (const auto* sb : p.blocks) {
    if (sb->has("custom_log")) {
      srv.logs = Json::object();
      break;
    }
  }
  addNamedRoutes(srv, p, named);

  std::vector<Json> policies;
  LoggerNames loggerNames;
  for (auto* sb : p.blocks) {
    const auto matchers = siteMatcherSets(*sb);
    auto hosts = sb->hostsFromKeys(false);
    bool addedCatchAll = false;
    if (addSitePolicies(*sb, hosts, state, policies, addedCatchAll)) {
      tally.hasCatchAll = addedCatchAll;
    }
    tallySiteTls(srv, *sb, ports, tally);
    if (auto it = sb->pile.find("listener_wrapper"); it != sb->pile.end()) {
      for (const auto& v : it->second) {
        if (!v.isRoute()) {
          srv.options["listener_wrappers"].push_back(v.json());
        }
      }
    }
    std::vector<ConfigValue> routeVals;
    if (auto it = sb->pile.find("route"); it != sb->pile.end()) {
      routeVals = std::move(it->second);  // read once: each block copy belongs to one server
    }
    Location where = sb->block.keys.empty() ? Location{} : sb->block.keys.front().loc;
    appendSiteRoutes(srv.routes, buildSubroute(std::move(routeVals), state, true, where), matchers,
                     p.blocks.size());
    if (sb->has("error_route")) {
      if (!srv.errors) {
        srv.errors = std::vector<config::Route>{};
      }
      appendSiteRoutes(*srv.errors, siteErrorRoutes(*sb), matchers, p.blocks.size());
    }
    if (!srv.logs.is_null()) {
      addSiteLogs(*sb, hosts, srv.logs, loggerNames);
    }
  }
  putLoggerNames(loggerNames, srv.logs);
  if (srv.logs.is_object() && srv.logs.contains("skip_hosts")) {
    auto skip = srv.logs["skip_hosts"].get<std::vector<std::string>>();
    std::sort(skip.begin(), skip.end());
    srv.logs["skip_hosts"] = skip;
  }

  detectConflictingSchemes(srv, p, ports, policies);
  if (tally.qualifies && !tally.hasCatchAll &&
      (!policies.empty() || !tally.autoWillAdd || !defaultSni.empty() || !fallbackSni.empty())) {
    Json cp = Json::object();
    if (!defaultSni.empty()) {
      cp["default_sni"] = defaultSni;
    }
    if (!fallbackSni.empty()) {
      cp["fallback_sni"] = fallbackSni;
    }
    policies.push_back(cp);
  }
  shieldWildcardClientAuth(policies, p.blocks);
  policies = consolidateConnPolicies(std::move(policies), static_cast<int>(index));
  if (!policies.empty()) {
    srv.tlsConnectionPolicies = Json(policies);
  }
  srv.routes = consolidateRoutes(std::move(srv.routes));
  return srv;
}

}  // namespace

std::vector<std::pair<std::string, config::Server>> buildServers(Pairings& pairings, AdaptState& state,
                                                                 const NamedRoutes& namedRoutes) {
  std::vector<std::pair<std::string, config::Server>> servers;
  for (size_t i = 0; i < pairings.list.size(); ++i) {
    servers.emplace_back("srv" + std::to_string(i), buildServer(pairings.list[i], i, state, namedRoutes));
  }
  return servers;
}

}  // namespace gatehouse::parser
