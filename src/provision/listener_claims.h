#pragma once
// Each listener address belongs to one server: caddy's http app refuses a config where two
// servers (or one server twice) claim the same network address, port ranges expanded.

#include <string>
#include <utility>
#include <vector>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::provision {

// Throws ProvisionError naming the second claim, in caddy's words ("server b: listener
// address repeated: tcp/:8080 (already claimed by server 'a')").
void checkListenerClaims(const std::vector<std::pair<std::string, config::Server>>& servers);

}  // namespace gatehouse::provision
