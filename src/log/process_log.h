#pragma once
// Gatehouse's own messages (start-up, reloads, shutdown, TLS and ACME events): what Caddy
// sends to its default logger. While no running config defines logs they are written
// straight to stderr as JSON lines; once a config with a `logging` section (or access logs)
// serves, they go through its log service, so the default log's writer, encoder, level,
// include/exclude and sampling apply, and a named log that includes their logger gets them.
//
// The destination is process-wide on purpose: like Caddy's zap default logger it outlives
// any one config, and its callers (signal handling, listeners, TLS) hold no config.

#include <memory>
#include <string>
#include <string_view>

#include "gatehouse/config/site_graph.h"
#include "log/level.h"
#include "log/log_service.h"

namespace gatehouse::log {

// Any thread. `fields` is an object of extra fields, in order.
void logOwn(Level level, std::string_view logger, std::string_view msg, config::Json fields = {});

// Any thread: a whole entry (durations formatted as the encoder says) to the same place.
void logEntry(LogEntry entry);
// Whether an entry at this logger and level would be written anywhere.
bool processLogWants(std::string_view logger, Level level);

// Routes own messages through `service` (null: stderr). When the default log's writer
// changes, says so first on the old one ("redirected default logger", from, to), as Caddy.
void installProcessLog(std::shared_ptr<LogService> service);

// Writes what is queued and goes back to stderr (at exit, so nothing queued is lost).
void resetProcessLog();

// Blocks until queued own messages are written (before _Exit).
void flushProcessLog();

}  // namespace gatehouse::log
