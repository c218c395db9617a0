#pragma once
// The response's output stages (deferred `header` ops, `encode`), run on the head innermost
// first as Caddy's nested ResponseWriters see it. A stage that makes the head wait for the
// first body piece (encode deciding on it) stops the walk: the stages outside it see the
// head only once that decision has been made, as a Caddy wrapper sees WriteHeader only when
// the encoder calls it; so `header -Vary` around `encode` removes the Vary encode adds.

#include <cstddef>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

// Returns how many outer stages wait for the first body piece (0: all ran).
size_t runOutputStages(runtime::Exchange& ex);

// Runs the stages runOutputStages left waiting (innermost of them first).
void runWaitingStages(runtime::Exchange& ex, size_t waiting);

}  // namespace gatehouse::http
