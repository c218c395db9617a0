// adaptCaddyfile: Caddyfile text -> site graph, in Caddy's order of steps (global options,
// named routes, site blocks, listener pairings, servers, TLS/PKI apps, logging).

#include "gatehouse/parser/adapter.h"

#include "gatehouse/parser/formatter.h"
#include "httptype/adapt_steps.h"

namespace gatehouse::parser {
namespace {

std::vector<SiteBlockGroup> groupsOf(Pairings& pairings) {
  std::vector<SiteBlockGroup> groups;
  for (auto& p : pairings.list) {
    groups.push_back(SiteBlockGroup{p.addresses, p.blocks});
  }
  return groups;
}

// Sites and named routes are both "http.server" blocks: either makes an HTTP app.
config::HttpApp buildHttpApp(Pairings& pairings, AdaptState& state, const NamedRoutes& named) {
  config::HttpApp http;
  http.servers = buildServers(pairings, state, named);
  try {
    applyServerOptions(http, state);
  } catch (const ConfigError& e) {
    throw ConfigError(e.location(), "applying global server options: " + e.message());
  }
  hoistMetrics(http, state);
  return http;
}

// The global options with `order` taken out (applied to `state`). Caddy evaluates global
// options top to bottom, so when an `order` is refused, an error in an option above it is
// the one reported.
ServerBlock globalOptions(const ServerBlock& global, AdaptState& state) {
  try {
    return takeOrderOptions(global, state);
  } catch (const ConfigError& orderError) {
    ServerBlock above = global;
    above.segments.clear();
    ServerBlock orders = global;
    orders.segments.clear();
    for (const auto& seg : global.segments) {
      const bool isOrder = !seg.empty() && seg.front().text == "order";
      if (isOrder) {
        orders.segments.push_back(seg);
        AdaptState scratch;
        try {
          takeOrderOptions(orders, scratch);
        } catch (const ConfigError&) {
          break;  // the `order` that failed: only options above it count
        }
      } else {
        above.segments.push_back(seg);
      }
    }
    AdaptState scratch;
    parseGlobalOptions(above, scratch);  // throws the earlier error, if there is one
    throw;
  }
}

}  // namespace

std::string Warning::str() const {
  return loc.str() + ": " + message;
}

AdaptResult adaptCaddyfile(std::string_view text, const std::string& filename, const ParseOptions& options) {
  std::vector<ServerBlock> blocks = parseCaddyfile(text, filename, options);
  AdaptState state;

  if (!blocks.empty() && blocks.front().keys.empty()) {
    ServerBlock global = globalOptions(blocks.front(), state);
    parseGlobalOptions(global, state);
    blocks.erase(blocks.begin());
  }
  checkSiteKeys(blocks);
  const bool anyHttpBlocks = !blocks.empty();

  NamedRoutes named = extractNamedRoutes(blocks, state);
  std::vector<SiteBlock> sites;
  sites.reserve(blocks.size());
  for (auto& b : blocks) {
    sites.push_back(evaluateSiteBlock(std::move(b), state));
  }
  for (size_t i = 0; i < sites.size(); ++i) {
    parseSiteKeys(sites[i], i);
  }

  Pairings pairings = pairSitesWithListeners(sites, state);
  config::Config config;
  if (anyHttpBlocks) {
    config.http = buildHttpApp(pairings, state, named);
  }
  std::vector<SiteBlockGroup> groups = groupsOf(pairings);
  config::TlsApp tls = buildTlsApp(groups, state);
  if (!tls.empty()) {
    config.tls = std::move(tls);
  }
  config::Json pki = buildPkiApp(groups, state);
  if (!pki.is_null()) {
    config.otherApps["pki"] = std::move(pki);
  }
  applyGlobalOptionsToConfig(config, state);
  assembleLogging(config, state, pairings);
  // Lint last, as Caddy: a messy file can parse and still mean something else than it looks.
  if (const int line = firstUnformattedLine(text); line > 0) {
    state.warnings.push_back(
        Warning{Location{filename, line, 0, {}}, "",
                "Caddyfile input is not formatted; run 'gatehouse fmt --overwrite' to fix "
                "inconsistencies"});
  }
  return AdaptResult{std::move(config), std::move(state.warnings)};
}

}  // namespace gatehouse::parser
