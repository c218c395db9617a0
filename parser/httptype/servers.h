#pragma once
// Building the HTTP servers from the listener pairings (Caddy's serversFromPairings) and
// the pieces it is made of.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "httptype/pairings.h"

namespace gatehouse::parser {

// A named route (&(name) block) and the named routes it invokes in turn.
struct NamedRouteDef {
  config::Route route;
  std::vector<std::string> invokes;
};
using NamedRoutes = std::map<std::string, NamedRouteDef>;

// One server per pairing, named srv0, srv1 ... in pairing order. Throws ConfigError.
std::vector<std::pair<std::string, config::Server>> buildServers(Pairings& pairings, AdaptState& state,
                                                                 const NamedRoutes& namedRoutes);

// ---- TLS connection policies (tls_policies.cpp) ----

// Adds a site block's "tls.connection_policy" values to the server's list, matched on the
// block's hosts; returns whether a catch-all policy was the last one added.
bool addSitePolicies(const SiteBlock& sb, std::vector<std::string>& hosts, const AdaptState& state,
                     std::vector<Json>& policies, bool& addedCatchAll);
// Shields hosts of this server that a client-auth wildcard policy would otherwise capture.
void shieldWildcardClientAuth(std::vector<Json>& policies, const std::vector<SiteBlock*>& blocks);
// Sorts catch-alls last and merges equal or mergeable policies. Throws ConfigError.
std::vector<Json> consolidateConnPolicies(std::vector<Json> policies, int serverIndex);

// ---- access logs (server_logs.cpp) ----

// Maps the site block's hosts onto its loggers in the server's log config.
// Host -> access logger names of one server, gathered across its sites. A std::map rather
// than the JSON object itself: its lookups stay logarithmic for thousands of hosts.
using LoggerNames = std::map<std::string, std::vector<std::string>>;
void addSiteLogs(const SiteBlock& sb, const std::vector<std::string>& hosts, Json& logs,
                 LoggerNames& loggerNames);
// Writes the gathered map into logs.logger_names.
void putLoggerNames(const LoggerNames& loggerNames, Json& logs);

}  // namespace gatehouse::parser
