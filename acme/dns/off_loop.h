#pragma once
// Runs blocking work (ldns network I/O) on a thread of its own and calls `done` on the
// loop afterwards. A thread per job rather than libuv's pool: the pool is shared with the
// serving loops' getaddrinfo and file work, and a DNS timeout must not hold it up. Jobs are
// few (one per challenge step) and bounded in time by their own DNS timeouts.

#include <uv.h>

#include <functional>

namespace gatehouse::acme::dns {

// Loop thread only. The loop stays alive until `done` has run.
void runOffLoop(uv_loop_t* loop, std::function<void()> work, std::function<void()> done);

}  // namespace gatehouse::acme::dns
