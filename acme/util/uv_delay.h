#pragma once
// A one-shot timer that runs a function later on the loop and frees itself. Flows (order
// polling, backoff) keep themselves alive through what the function captures.

#include <uv.h>

#include <chrono>
#include <functional>

namespace gatehouse::acme {

void runAfter(uv_loop_t* loop, std::chrono::milliseconds delay, std::function<void()> fn);

// Makes every pending runAfter() on `loop` due now. For shutdown: flows waiting out a poll
// delay or a Retry-After (up to a minute) then run, fail at once on their shut-down client
// and end, instead of keeping the loop (and the process) alive until their timers expire.
void expediteDelays(uv_loop_t* loop);

}  // namespace gatehouse::acme
