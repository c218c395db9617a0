#pragma once
// Upstream selection (Caddy's load_balancing.selection_policy): picks one of the available
// upstreams for a request. Hash policies use rendezvous hashing, so a key keeps its
// upstream while that upstream stays available.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"

namespace gatehouse::proxy {

class ConnectionPool;

class SelectionPolicy {
 public:
  virtual ~SelectionPolicy() = default;
  // Index into `available` (indices of upstreams that may take the request), or -1.
  virtual int select(const std::vector<size_t>& available, const runtime::Exchange& ex,
                     ConnectionPool& pool) const = 0;
};

// JSON {"policy": "round_robin", ...}; null or absent -> random. Throws ProvisionError.
std::unique_ptr<SelectionPolicy> makeSelectionPolicy(const config::Json& j, const std::string& path,
                                                     size_t upstreams);

}  // namespace gatehouse::proxy
