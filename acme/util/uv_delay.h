#pragma once
// A one-shot timer that runs a function later on the loop and frees itself. Flows (order
// polling, backoff) keep themselves alive through what the function captures.

#include <uv.h>

#include <chrono>
#include <functional>

namespace gatehouse::acme {

void runAfter(uv_loop_t* loop, std::chrono::milliseconds delay, std::function<void()> fn);

}  // namespace gatehouse::acme
