#pragma once
// Which listener addresses serve which site blocks (Caddy's mapAddressToProtocolToServerBlocks
// and consolidateAddrMappings): each pairing becomes one server.

#include <deque>
#include <string>
#include <vector>

#include "httptype/site_block.h"

namespace gatehouse::parser {

struct Pairing {
  std::vector<std::string> addresses;
  std::vector<std::vector<std::string>> protocols;  // per address; empty means the defaults
  std::vector<SiteBlock*> blocks;                   // copies holding only the keys served here
};

struct Pairings {
  std::deque<SiteBlock> storage;  // owns the per-listener copies the pairings point to
  std::vector<Pairing> list;
};

// The HTTP and HTTPS ports in force (the http_port / https_port options, else 80 / 443).
int httpPortOption(const AdaptState& state);
int httpsPortOption(const AdaptState& state);

// Maps every key of every site block to its listener addresses and groups blocks that
// share identical listeners. Throws ConfigError for bad schemes and ports.
// Consumes `sites`: their tokens and values move into the pairings' copies.
Pairings pairSitesWithListeners(std::vector<SiteBlock>& sites, const AdaptState& state);

}  // namespace gatehouse::parser
