#pragma once
// {http.shutting_down} and {http.time_until_shutdown}: whether the request's server is
// scheduled to stop (shutdown_delay), and Go's time.Until() of that moment ("2.4s"; empty
// when none is scheduled). The server's schedule is noted on the exchange as it enters
// the server's routes, so no exchange field is needed; the time is read at rendering.

#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"
#include "provision/shutdown_schedule.h"

namespace gatehouse::router {

// Called by the server's router for each request: notes the schedule, if any.
void noteShutdownSchedule(runtime::Exchange& ex, const provision::ShutdownSchedule& schedule);

// The two placeholders (key without braces); false for any other key.
bool shutdownPlaceholder(std::string_view key, const runtime::Exchange& ex, std::string& out);

}  // namespace gatehouse::router
