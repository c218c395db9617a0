#pragma once
// The adapter's working model between the Caddyfile's server blocks and the site graph
// (Caddy's serverBlock / sbAddrAssociation / Address).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/parser/caddyfile.h"
#include "gatehouse/parser/helper.h"

namespace gatehouse::parser {

// A parsed site address: [scheme://]host[:port][/path] (Caddy's Address).
struct Address {
  std::string original;
  std::string scheme;
  std::string host;
  std::string port;
  std::string path;

  // "scheme://host:port/path" with the parts that are set.
  [[nodiscard]] std::string str() const;
  // host, normalized to lower case.
  [[nodiscard]] std::string normalizedHost() const;
};

// Parses a site address key. Throws ConfigError (e.g. "port 70000 is out of range",
// "unsupported URL scheme foo://") positioned at `key`.
Address parseAddress(const Token& key);

// Caddy 2.6.2 hands the per-listener copies of one block the same `tls` connection policy
// objects, and a server writes `default_sni`/`fallback_sni` into them when one of its names
// is that name: the servers built after it (in listener order) carry the setting too, so an
// HTTP listener of the block then holds a policy and is refused. Per policy value (by index),
// the SNI settings written so far.
struct SharedConnPolicies {
  std::map<size_t, config::Json> sniSettings;
};

// One server block with its parsed keys and the values its directives produced, by class.
struct SiteBlock {
  ServerBlock block;
  std::vector<Address> keys;
  std::map<std::string, std::vector<ConfigValue>> pile;
  // Shared by the per-listener copies of one block (null before pairing).
  std::shared_ptr<SharedConnPolicies> sharedPolicies;

  [[nodiscard]] bool has(const std::string& cls) const {
    auto it = pile.find(cls);
    return it != pile.end() && !it->second.empty();
  }
  [[nodiscard]] std::vector<std::string> hostsFromKeys(bool loggerMode) const;
};

// The server blocks that share one set of listener addresses: they become one server.
struct SiteBlockGroup {
  std::vector<std::string> addresses;  // listener addresses, e.g. ":443", "127.0.0.1:8080"
  std::vector<SiteBlock*> blocks;
};

// Expands Caddy's placeholder shorthands ({host}, {uri}, {header.X}, {re.name.1} ...) in the
// tokens of one server block, as Caddy does before directives see them (parser/httptype/shorthands.cpp).
void replaceShorthands(std::vector<Token>& tokens);

// ---- global options (parser/options/) ----

// Evaluates the global options block into state.options. Throws ConfigError.
void parseGlobalOptions(const ServerBlock& globalBlock, AdaptState& state);

// ---- the TLS and PKI apps (parser/options/) ----

// Builds apps.tls from the sites' TLS values and the global options (Caddy's buildTLSApp).
config::TlsApp buildTlsApp(std::vector<SiteBlockGroup>& groups, AdaptState& state);
// Builds apps.pki, or null JSON when nothing needs it (Caddy's buildPKIApp).
config::Json buildPkiApp(std::vector<SiteBlockGroup>& groups, AdaptState& state);
// Puts the global options that map straight onto the config (admin, storage, http_port,
// https_port, grace_period, shutdown_delay, ...) into it. Logging is assembled by the adapter.
void applyGlobalOptionsToConfig(config::Config& config, AdaptState& state);
// Applies the `servers` global option blocks to the built servers (Caddy's applyServerOptions).
void applyServerOptions(config::HttpApp& http, AdaptState& state);

}  // namespace gatehouse::parser
