#pragma once
// The steps of adaptCaddyfile, each in a file of its own under parser/httptype/.

#include <vector>

#include "httptype/pairings.h"
#include "httptype/servers.h"

namespace gatehouse::parser {

// Evaluates the `order` options of the global block (Caddy's parseOptOrder) into
// state.options["order"], and returns the block without them.
ServerBlock takeOrderOptions(const ServerBlock& global, AdaptState& state);

// Rejects site keys that are really directives or matchers (a missing site block).
void checkSiteKeys(const std::vector<ServerBlock>& blocks);

// Removes the &(name) blocks from `blocks` and builds their routes.
NamedRoutes extractNamedRoutes(std::vector<ServerBlock>& blocks, AdaptState& state);

// Runs matcher definitions and directives of one site block into its pile.
SiteBlock evaluateSiteBlock(ServerBlock block, AdaptState& state);
// Parses the keys of an evaluated block into addresses.
void parseSiteKeys(SiteBlock& sb, size_t index);

// Assembles config.logging from the `log` global options and the sites' loggers.
void assembleLogging(config::Config& config, const AdaptState& state, const Pairings& pairings);

// Moves per-server metrics settings up to the HTTP app (Caddy hoists them).
void hoistMetrics(config::HttpApp& http, const AdaptState& state);

}  // namespace gatehouse::parser
