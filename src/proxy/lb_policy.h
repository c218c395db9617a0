#pragma once
// Upstream selection (Caddy's load_balancing.selection_policy): picks one of the available
// upstreams for a request. Hash policies use rendezvous hashing as caddy 2.6.2 does
// (FNV-1a 32 of the key + the upstream's dial address, highest wins), so a key keeps its
// upstream while that upstream stays available, and picks the upstream caddy 2.6.2 picks.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"

namespace gatehouse::proxy {

class ConnectionPool;

// The upstreams a dynamic source gave one request (`dynamic a|srv|multi`), in its order:
// policies then index these instead of the configured upstreams.
struct DynamicCandidates {
  const std::vector<std::string>& dials;
  const std::vector<size_t>& states;  // each one's ConnectionPool state index
};

class SelectionPolicy {
 public:
  virtual ~SelectionPolicy() = default;
  // Index into `available` (indices of upstreams that may take the request, or positions
  // in `dynamic` when set), or -1.
  int select(const std::vector<size_t>& available, const runtime::Exchange& ex, ConnectionPool& pool,
             const DynamicCandidates* dynamic = nullptr) const {
    return choose(available, ex, pool, dynamic);
  }
  // The Set-Cookie value the response carries when the request went to upstream `chosen`
  // (the cookie policy's sticky session), or empty.
  [[nodiscard]] virtual std::string responseCookie(size_t /*chosen*/, const runtime::Exchange& /*ex*/,
                                                   const DynamicCandidates* /*dynamic*/ = nullptr) const {
    return {};
  }

 protected:
  virtual int choose(const std::vector<size_t>& available, const runtime::Exchange& ex, ConnectionPool& pool,
                     const DynamicCandidates* dynamic) const = 0;
  // Pool state index of candidate `i`.
  static size_t stateOf(size_t i, const DynamicCandidates* dynamic) {
    return dynamic != nullptr ? dynamic->states[i] : i;
  }
};

// JSON {"policy": "round_robin", ...}; null or absent -> random. `dials` are the upstreams'
// dial addresses in order. Throws ProvisionError.
std::unique_ptr<SelectionPolicy> makeSelectionPolicy(const config::Json& j, const std::string& path,
                                                     const std::vector<std::string>& dials);

// FNV-1a 32 of `a` followed by `b` (caddy 2.6.2's hash of key + dial).
uint32_t fnv1a32(std::string_view a, std::string_view b);
// Rendezvous pick among `available` by fnv1a32(key, dials[i]); -1 when none is available.
int pickByHash(const std::vector<size_t>& available, const std::vector<std::string>& dials,
               std::string_view key);

}  // namespace gatehouse::proxy
