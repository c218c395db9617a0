#pragma once
// What buildTlsApp needs to know about site blocks' addresses (Caddy's serverBlock helpers).

#include <set>
#include <string>
#include <vector>

#include "httptype/site_block.h"

namespace gatehouse::parser::options {

// The HTTP port in effect ("80" unless the http_port option says otherwise).
std::string httpPortOption(const GlobalOptions& options);
// Every key of the block uses the http:// scheme.
bool isAllHttp(const SiteBlock& block);
// The block's hostnames; empty when any key has no host (it matches every host).
std::vector<std::string> blockHosts(const SiteBlock& block);
// The block's hostnames that are served over HTTPS (not http://, not on the HTTP port), sorted.
std::vector<std::string> hostsNotHttp(const SiteBlock& block, const std::string& httpPort);
// Hosts that share a block with a hostless key, which auto-HTTPS would otherwise miss.
std::set<std::string> httpsHostsSharedWithHostlessKey(const std::vector<SiteBlockGroup>& groups,
                                                      const std::string& httpPort);

}  // namespace gatehouse::parser::options
