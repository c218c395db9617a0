// Site-block address queries for the TLS app.
#include "options/tls_app_sites.h"

#include <algorithm>

namespace gatehouse::parser::options {

std::string httpPortOption(const GlobalOptions& options) {
  auto it = options.find("http_port");
  if (it != options.end() && it->second.is_number_integer())
    return std::to_string(it->second.get<long long>());
  return "80";
}

bool isAllHttp(const SiteBlock& block) {
  return std::all_of(block.keys.begin(), block.keys.end(),
                     [](const Address& a) { return a.scheme == "http"; });
}

std::vector<std::string> blockHosts(const SiteBlock& block) {
  std::set<std::string> hosts;
  for (const auto& addr : block.keys) {
    if (addr.host.empty())
      return {};
    hosts.insert(addr.host);
  }
  return {hosts.begin(), hosts.end()};
}

std::vector<std::string> hostsNotHttp(const SiteBlock& block, const std::string& httpPort) {
  std::set<std::string> hosts;
  for (const auto& addr : block.keys) {
    if (!addr.host.empty() && addr.scheme != "http" && addr.port != httpPort)
      hosts.insert(addr.host);
  }
  return {hosts.begin(), hosts.end()};
}

std::set<std::string> httpsHostsSharedWithHostlessKey(const std::vector<SiteBlockGroup>& groups,
                                                      const std::string& httpPort) {
  std::set<std::string> out;
  for (const auto& group : groups) {
    for (const SiteBlock* block : group.blocks) {
      for (const auto& addr : block->keys) {
        if (!addr.host.empty())
          continue;
        for (const auto& other : block->keys) {
          if (other.original == addr.original)
            continue;
          if (!other.host.empty() && other.scheme != "http" && other.port != httpPort)
            out.insert(other.host);
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace gatehouse::parser::options
