#pragma once
// One structured log entry: zap's fixed keys plus ordered fields. Built on the thread that
// logs, then moved to the log writer thread, which filters, encodes and writes it.

#include <string>

#include "gatehouse/config/site_graph.h"
#include "log/level.h"

namespace gatehouse::log {

struct LogEntry {
  Level level = Level::Info;
  double ts = 0;       // Unix seconds with sub-second precision, as zap's epoch time
  std::string logger;  // "http.log.access.log0"
  std::string msg;     // "handled request"
  config::Json fields = config::Json::object();
};

// The wall clock as zap's "ts": seconds since the epoch.
double nowSeconds();

}  // namespace gatehouse::log
