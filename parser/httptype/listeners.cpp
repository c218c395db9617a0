// Listener addresses for site keys, and the grouping of site blocks by listeners.

#include <map>
#include <set>

#include "httptype/net_addr.h"
#include "httptype/pairings.h"

namespace gatehouse::parser {
namespace {

struct BindEntry {
  std::vector<std::string> addresses;
  std::vector<std::string> protocols;
};

std::vector<std::string> strings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) {
      if (s.is_string()) {
        out.push_back(s.get<std::string>());
      }
    }
  }
  return out;
}

// A bind value is an address list, {"addresses": [...], "protocols": [...]}, or a list of
// such objects (the default_bind option may hold several).
void collectBind(const Json& v, std::vector<BindEntry>& out) {
  if (v.is_object()) {
    out.push_back(
        {strings(v.value("addresses", Json::array())), strings(v.value("protocols", Json::array()))});
  } else if (v.is_array() && !v.empty() && v[0].is_object()) {
    for (const auto& e : v) {
      collectBind(e, out);
    }
  } else if (v.is_array()) {
    out.push_back({strings(v), {}});
  } else if (v.is_string()) {
    out.push_back({{v.get<std::string>()}, {}});
  }
}

int portOption(const AdaptState& state, const char* name, int fallback) {
  auto it = state.options.find(name);
  if (it == state.options.end()) {
    return fallback;
  }
  if (it->second.is_number_integer()) {
    return it->second.get<int>();
  }
  if (it->second.is_string()) {
    long long n = 0;
    std::string why;
    if (atoiLikeGo(it->second.get<std::string>(), n, why)) {
      return static_cast<int>(n);
    }
  }
  return fallback;
}

using ProtocolSet = std::set<std::string>;
using Listeners = std::map<std::string, ProtocolSet>;

// The listener addresses (with protocols) one site key is served on.
Listeners listenersFor(const SiteBlock& sb, const Address& addr, const AdaptState& state) {
  if (addr.scheme == "wss") {
    throw ConfigError("the scheme wss:// is only supported in browsers; use https:// instead");
  }
  if (addr.scheme == "ws") {
    throw ConfigError("the scheme ws:// is only supported in browsers; use http:// instead");
  }
  if (!addr.scheme.empty() && addr.scheme != "http" && addr.scheme != "https") {
    throw ConfigError("unsupported URL scheme " + addr.scheme + "://");
  }
  const std::string httpPort = std::to_string(httpPortOption(state));
  const std::string httpsPort = std::to_string(httpsPortOption(state));
  std::string lnPort = httpsPort;
  if (!addr.port.empty()) {
    lnPort = addr.port;
  } else if (addr.scheme == "http") {
    lnPort = httpPort;
  }
  if ((addr.scheme == "http" && lnPort == httpsPort) || (addr.scheme == "https" && lnPort == httpPort)) {
    throw ConfigError("[" + addr.str() + "] scheme and port violate convention");
  }

  std::vector<BindEntry> binds;
  if (auto it = sb.pile.find("bind"); it != sb.pile.end()) {
    for (const auto& v : it->second) {
      if (!v.isRoute()) {
        collectBind(v.json(), binds);
      }
    }
  }
  if (binds.empty()) {
    if (auto it = state.options.find("default_bind"); it != state.options.end()) {
      collectBind(it->second, binds);
    }
    if (binds.empty()) {
      binds.push_back({{""}, {}});
    }
  }

  Listeners out;
  for (const auto& b : binds) {
    for (const auto& ln : b.addresses) {
      NetworkParts parts;
      std::string why;
      if (!splitNetworkAddress(ln, parts, why)) {
        throw ConfigError("splitting listener address: " + why);
      }
      std::string canonical;
      if (!canonicalNetworkAddress(joinNetworkAddress(parts.network, parts.host, lnPort), canonical, why)) {
        throw ConfigError("parsing network address: " + why);
      }
      // Caddy starts the protocol set afresh on every mention of an address
      ProtocolSet& set = out[canonical];
      set.clear();
      set.insert(b.protocols.begin(), b.protocols.end());
    }
  }
  return out;
}

// One site block restricted to some of its keys: the unit Caddy compares when merging
// listeners (two entries are "identical" when they are the same keys of the same block).
struct KeySubset {
  size_t origin = 0;
  std::vector<size_t> keys;
  bool operator==(const KeySubset&) const = default;
};
using Subsets = std::vector<KeySubset>;
using AddrMap = std::map<std::string, std::map<std::string, Subsets>>;

AddrMap mapAddresses(const std::vector<SiteBlock>& sites, const AdaptState& state) {
  AddrMap result;
  for (size_t i = 0; i < sites.size(); ++i) {
    const SiteBlock& sb = sites[i];
    std::map<std::string, std::map<std::string, std::vector<size_t>>> perBlock;
    for (size_t j = 0; j < sb.keys.size(); ++j) {
      Listeners lns;
      try {
        lns = listenersFor(sb, sb.keys[j], state);
      } catch (const ConfigError& e) {
        throw ConfigError(sb.block.keys[j].loc, "server block " + std::to_string(i) + ", key " +
                                                    std::to_string(j) + " (" + sb.block.keys[j].text +
                                                    "): determining listener address: " + e.message());
      }
      for (auto& [addr, protocols] : lns) {
        if (protocols.empty()) {
          protocols.insert("");  // the default protocols
        }
        for (const auto& prot : protocols) {
          perBlock[addr][prot].push_back(j);
        }
      }
    }
    for (const auto& [addr, prots] : perBlock) {
      for (const auto& [prot, keys] : prots) {
        result[addr][prot].push_back(KeySubset{i, keys});
      }
    }
  }
  return result;
}

// The per-listener copy of a site block for the keys in `sub`. The last copy of a block
// takes its tokens and values instead of copying them (most blocks are copied only once).
SiteBlock* materialize(std::vector<SiteBlock>& sites, const KeySubset& sub, bool last, Pairings& out) {
  SiteBlock& src = sites[sub.origin];
  if (!src.sharedPolicies)
    src.sharedPolicies = std::make_shared<SharedConnPolicies>();
  SiteBlock copy;
  copy.sharedPolicies = src.sharedPolicies;
  copy.block.hasBraces = src.block.hasBraces;
  copy.block.isNamedRoute = src.block.isNamedRoute;
  if (last) {
    copy.block.segments = std::move(src.block.segments);
    copy.pile = std::move(src.pile);
  } else {
    copy.block.segments = src.block.segments;
    copy.pile = src.pile;
  }
  for (size_t k : sub.keys) {
    copy.block.keys.push_back(src.block.keys[k]);
    copy.keys.push_back(src.keys[k]);
  }
  out.storage.push_back(std::move(copy));
  return &out.storage.back();
}

}  // namespace

int httpPortOption(const AdaptState& state) {
  return portOption(state, "http_port", 80);
}
int httpsPortOption(const AdaptState& state) {
  return portOption(state, "https_port", 443);
}

Pairings pairSitesWithListeners(std::vector<SiteBlock>& sites, const AdaptState& state) {
  AddrMap map = mapAddresses(sites, state);
  Pairings out;
  std::vector<Subsets> pending;  // per pairing, the key subsets still to materialize
  std::vector<std::string> addrs;
  for (const auto& [addr, _] : map) {
    addrs.push_back(addr);
  }

  for (const auto& addr : addrs) {
    std::vector<std::string> prots;
    for (const auto& [prot, _] : map[addr]) {
      prots.push_back(prot);
    }
    for (const auto& prot : prots) {
      // a protocol merged away earlier in this loop reads as an empty list, as in Caddy,
      // and then yields a pairing with no listeners and no sites
      Subsets blocks;
      if (auto it = map[addr].find(prot); it != map[addr].end()) {
        blocks = it->second;
      }
      std::map<std::string, std::set<std::string>> listeners;
      for (auto& [otherAddr, otherProts] : map) {
        for (auto it = otherProts.begin(); it != otherProts.end();) {
          if ((otherAddr == addr && it->first == prot) || it->second == blocks) {
            listeners[otherAddr].insert(it->first);
            it = otherProts.erase(it);
          } else {
            ++it;
          }
        }
      }
      Pairing p;
      for (const auto& [lnAddr, lnProts] : listeners) {
        p.addresses.push_back(lnAddr);
        // a listener whose only protocol is "" keeps the defaults
        p.protocols.push_back(lnProts.size() == 1 && lnProts.count("")
                                  ? std::vector<std::string>{}
                                  : std::vector<std::string>(lnProts.begin(), lnProts.end()));
      }
      pending.push_back(std::move(blocks));
      out.list.push_back(std::move(p));
    }
  }
  std::vector<size_t> uses(sites.size(), 0);
  for (const auto& subs : pending) {
    for (const auto& s : subs) {
      ++uses[s.origin];
    }
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    for (const auto& s : pending[i]) {
      out.list[i].blocks.push_back(materialize(sites, s, --uses[s.origin] == 0, out));
    }
  }
  return out;
}

}  // namespace gatehouse::parser
