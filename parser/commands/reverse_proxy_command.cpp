#include "directives/reverse_proxy.h"
#include "gatehouse/parser/command_configs.h"
#include "gatehouse/parser/config_error.h"
#include "gatehouse/parser/dispenser.h"
#include "httptype/site_block.h"

namespace gatehouse::parser {

namespace {

using config::Json;

// caddy's reading of --from: no scheme means http for port 80 or no host, else https; no
// port means the scheme's.
Address fromAddress(const std::string& from) {
  Token key;
  key.text = from;
  Address a = parseAddress(key);
  if (!a.path.empty()) {
    throw ConfigError("paths are not allowed: " + from);
  }
  if (a.scheme.empty()) {
    a.scheme = a.port == "80" || a.host.empty() ? "http" : "https";
  }
  if (a.port.empty()) {
    a.port = a.scheme == "http" ? "80" : "443";
  }
  return a;
}

// "http://:8080", "https://example.com" (the scheme's own port left out), as caddy prints it.
std::string printed(const Address& a) {
  const bool defaultPort = (a.scheme == "http" && a.port == "80") || (a.scheme == "https" && a.port == "443");
  return a.scheme + "://" + a.host + (defaultPort ? "" : ":" + a.port);
}

Json proxyHandler(const ReverseProxyCommand& cmd, std::vector<std::string>& dials) {
  proxy::ProxyHandler rp;
  for (const auto& to : cmd.to) {
    Dispenser d(std::vector<Token>{});
    try {
      proxy::appendUpstream(d, rp, to);
    } catch (const ConfigError& e) {
      throw ConfigError("invalid upstream address " + to + ": " + e.message());
    }
  }
  Json handler = {{"handler", "reverse_proxy"}};
  Json transport = {{"protocol", "http"}};
  if (rp.commonScheme == "https") {
    transport["tls"] = cmd.insecure ? Json{{"insecure_skip_verify", true}} : Json::object();
  }
  handler["transport"] = transport;
  handler["upstreams"] = rp.fields.value("upstreams", Json::array());
  for (const auto& up : handler["upstreams"]) {
    dials.push_back(up.value("dial", ""));
  }
  if (cmd.changeHostHeader) {
    handler["headers"] = {{"request", {{"set", {{"Host", {"{http.reverse_proxy.upstream.hostport}"}}}}}}};
  }
  return handler;
}

}  // namespace

Json reverseProxyCommandConfig(const ReverseProxyCommand& cmd, std::string& fromText,
                               std::vector<std::string>& dials) {
  if (cmd.to.empty()) {
    throw ConfigError("--to is required");
  }
  const Address from = fromAddress(cmd.from);
  fromText = printed(from);
  Json route = {{"handle", Json::array({proxyHandler(cmd, dials)})}};
  if (!from.host.empty()) {
    route["match"] = Json::array({{{"host", {from.host}}}});
  }
  Json server = {{"listen", {":" + from.port}}, {"routes", Json::array({route})}};
  if (from.scheme == "http") {
    server["automatic_https"] = {{"disable", true}};
  }
  Json config = {{"admin", {{"disabled", true}, {"config", {{"persist", false}}}}},
                 {"apps", {{"http", {{"servers", {{"proxy", server}}}}}}}};
  if (cmd.internalCerts && !from.host.empty()) {
    config["apps"]["tls"] = {
        {"automation",
         {{"policies", Json::array({{{"subjects", {from.host}},
                                     {"issuers", Json::array({{{"module", "internal"}}})}}})}}}};
  }
  if (cmd.debug) {
    config["logging"] = {{"logs", {{"default", {{"level", "DEBUG"}}}}}};
  }
  return config;
}

}  // namespace gatehouse::parser
