#pragma once
// The state buildTlsApp threads through its steps (tls_app.cpp, tls_app_policies.cpp).

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "httptype/site_block.h"
#include "options/tls_policy.h"

namespace gatehouse::parser::options {

struct TlsBuild {
  const GlobalOptions& options;
  std::string httpPort;
  // Policies in creation order. Shared, because a hostless site block adopts (and may
  // modify) the catch-all policy, which then appears in the list more than once.
  std::vector<std::shared_ptr<Policy>> policies;
  std::shared_ptr<Policy> catchAll;
  // The catch-all exists only for global ACME defaults (newer Caddy's); Caddy 2.6.2 has none
  // then, so a hostless site block keeps a policy of its own instead of adopting it.
  bool acmeDefaultsCatchAll = false;
  std::set<std::string> forcedAutomatedNames;
  Json loadFiles = Json::array();
  Json loadFolders = Json::array();
  // The bind host the first `bind` of a site block using the global cert_issuer list gave
  // each of those issuers (by index; nullopt: none yet), for every policy sharing them.
  std::vector<std::optional<std::string>> globalIssuerBindHosts;
};

// Adds the automation policies and certificate loaders of every HTTPS site block.
void addSitePolicies(std::vector<SiteBlockGroup>& groups, TlsBuild& build);

// Gives every policy holding the global cert_issuer list the bind hosts site blocks set on
// those issuers (Caddy 2.6.2 changed the shared issuer objects in place).
void shareGlobalIssuerBindHosts(TlsBuild& build);

}  // namespace gatehouse::parser::options
