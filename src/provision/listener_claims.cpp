#include "provision/listener_claims.h"

#include <map>

#include "provision/provision_error.h"
#include "provision/runtime.h"

namespace gatehouse::provision {
namespace {

// The address as Go's caddy.JoinNetworkAddress writes it: "tcp/:8080", "tcp6/[::1]:443",
// "unix//run/x.sock" (the network always named, IPv6 hosts in brackets).
std::string claimKey(const ListenSpec& spec) {
  if (spec.isUnix()) {
    return spec.network + "/" + spec.host;
  }
  const bool v6 = spec.host.find(':') != std::string::npos;
  return spec.network + "/" + (v6 ? "[" + spec.host + "]" : spec.host) + ":" + std::to_string(spec.port);
}

}  // namespace

void checkListenerClaims(const std::vector<std::pair<std::string, config::Server>>& servers) {
  std::map<std::string, std::string> claimedBy;
  for (const auto& [name, srv] : servers) {
    const std::string path = "apps.http.servers." + name + ".listen";
    for (size_t i = 0; i < srv.listen.size(); ++i) {
      std::vector<ListenSpec> expanded;
      parseListen(srv.listen[i], path + "[" + std::to_string(i) + "]", expanded);
      for (const auto& spec : expanded) {
        if (!spec.isUnix() && spec.port == 0) {
          // Deliberately not claimed (caddy refuses a second `:0` too): each port-0 listener
          // gets its own free port, which the e2e tests' multi-server configs rely on.
          continue;
        }
        auto [it, fresh] = claimedBy.emplace(claimKey(spec), name);
        if (!fresh) {
          throw ProvisionError(path, "server " + name + ": listener address repeated: " + it->first +
                                         " (already claimed by server '" + it->second + "')");
        }
      }
    }
  }
}

}  // namespace gatehouse::provision
