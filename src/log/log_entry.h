#pragma once
// One structured log entry: zap's fixed keys plus ordered fields. Built on the thread that
// logs, which filters and encodes it there for every log that takes it.

#include <cstdint>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "log/level.h"

namespace gatehouse::log {

struct LogEntry {
  Level level = Level::Info;
  int64_t tsNs = 0;    // Unix time in nanoseconds (zap's entry time)
  std::string logger;  // "http.log.access.log0"
  std::string msg;     // "handled request"
  config::Json fields = config::Json::object();
  // Top-level fields holding durations (in seconds), written as the encoder's duration_format says.
  std::vector<std::string> durations;
};

// The wall clock in nanoseconds since the epoch.
int64_t nowNanos();

}  // namespace gatehouse::log
