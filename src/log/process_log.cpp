#include "log/process_log.h"

#include <unistd.h>

#include <mutex>

#include "log/log_writer.h"

namespace gatehouse::log {

namespace {

// The one destination of own messages (see the header for why it is process-wide).
struct ProcessLog {
  std::mutex mu;
  std::shared_ptr<LogService> service;
};

ProcessLog& processLog() {
  static ProcessLog log;
  return log;
}

std::shared_ptr<LogService> currentService() {
  auto& p = processLog();
  std::lock_guard lock(p.mu);
  return p.service;
}

// Without a log service: one JSON line on stderr, Caddy's key order, written at once.
void writeStderr(const LogEntry& e) {
  config::Json line = config::Json::object();
  line["level"] = levelName(e.level);
  line["ts"] = static_cast<double>(e.tsNs) / 1e9;
  if (!e.logger.empty()) {
    line["logger"] = e.logger;
  }
  line["msg"] = e.msg;
  for (const auto& [k, v] : e.fields.items()) {
    line[k] = v;
  }
  writeAll(STDERR_FILENO, config::dump(line, false) + "\n");
}

void route(const std::shared_ptr<LogService>& service, LogEntry entry) {
  if (!service) {
    if (entry.level >= Level::Info) {  // Caddy's default level
      writeStderr(entry);
    }
  } else if (service->wants(entry.logger, entry.level)) {
    service->emit(std::move(entry));
  }
}

std::string defaultWriter(const std::shared_ptr<LogService>& service) {
  return service ? service->writerName("default") : "stderr";
}

}  // namespace

void logOwn(Level level, std::string_view logger, std::string_view msg, config::Json fields) {
  LogEntry entry;
  entry.level = level;
  entry.tsNs = nowNanos();
  entry.logger = logger;
  entry.msg = msg;
  if (fields.is_object()) {
    entry.fields = std::move(fields);
  }
  route(currentService(), std::move(entry));
}

void logEntry(LogEntry entry) {
  route(currentService(), std::move(entry));
}

bool processLogWants(std::string_view logger, Level level) {
  auto service = currentService();
  return service ? service->wants(logger, level) : level >= Level::Info;
}

void installProcessLog(std::shared_ptr<LogService> service) {
  auto old = currentService();
  const std::string from = defaultWriter(old);
  const std::string to = defaultWriter(service);
  if (from != to) {
    logOwn(Level::Info, "", "redirected default logger", {{"from", from}, {"to", to}});
  }
  auto& p = processLog();
  std::lock_guard lock(p.mu);
  p.service = std::move(service);
}

void resetProcessLog() {
  std::shared_ptr<LogService> old;
  {
    auto& p = processLog();
    std::lock_guard lock(p.mu);
    old.swap(p.service);
  }
  if (old) {
    old->flush();
  }
}

void flushProcessLog() {
  if (auto service = currentService()) {
    service->flush();
  }
}

}  // namespace gatehouse::log
