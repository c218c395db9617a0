#include "log/log_service.h"

#include <algorithm>

namespace gatehouse::log {

namespace {

bool namespaceCovers(std::string_view ns, std::string_view dotted) {
  return dotted.size() > ns.size() && dotted.starts_with(ns) && dotted[ns.size()] == '.';
}

// caddy.Log() and its named children ("admin", "admin.api"): the process's own messages,
// which caddy 2.6.2 writes with the default log's core directly, not through a module's
// logger that every log filters.
bool processLogger(std::string_view logger) {
  return logger.empty() || logger == "admin" || logger.starts_with("admin.");
}

}  // namespace

bool LogSink::accepts(std::string_view logger, Level level) const {
  if (level < minLevel) {
    return false;
  }
  if (processLogger(logger)) {
    return name == "default";  // whatever its include/exclude lists say
  }
  if (include.empty() && exclude.empty()) {
    return true;
  }
  // A trailing dot keeps "foo.b" from covering "foo.bar".
  std::string dotted(logger);
  if (!dotted.empty()) {
    dotted += '.';
  }
  size_t accept = 0;
  for (const auto& ns : include) {
    if (namespaceCovers(ns, dotted)) {
      accept = std::max(accept, ns.size());
    }
  }
  if (!include.empty() && accept == 0) {
    return false;
  }
  size_t reject = 0;
  for (const auto& ns : exclude) {
    if (ns == "*" && !dotted.empty()) {
      return false;
    }
    if (namespaceCovers(ns, dotted)) {
      reject = std::max(reject, ns.size());
    }
  }
  if (reject == 0) {
    return true;
  }
  return accept > reject;
}

LogService::LogService(std::vector<LogSink> sinks, size_t capacity)
    : sinks_(std::move(sinks)), capacity_(capacity), thread_([this] { run(); }) {}

LogService::~LogService() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool LogService::wants(std::string_view logger, Level level) const {
  return std::any_of(sinks_.begin(), sinks_.end(),
                     [&](const LogSink& s) { return s.accepts(logger, level); });
}

std::string LogService::writerName(std::string_view sink) const {
  for (const auto& s : sinks_) {
    if (s.name == sink) {
      return s.writer->describe();
    }
  }
  return "";
}

void LogService::emit(LogEntry entry) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= capacity_ || stop_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(entry));
    ++accepted_;
  }
  wake_.notify_one();
}

void LogService::flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = accepted_;
  idle_.wait(lock, [&] { return done_ >= target || stop_; });
}

void LogService::run() {
  std::deque<LogEntry> batch;
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) {
      break;
    }
    batch.swap(queue_);
    lock.unlock();
    const size_t n = batch.size();
    writeBatch(batch);
    batch.clear();
    lock.lock();
    done_ += n;
    idle_.notify_all();
  }
}

void LogService::writeBatch(std::deque<LogEntry>& batch) {
  // Report drops from before this batch as an entry of its own, so they are visible in the
  // same logs as the entries that survived.
  const uint64_t dropped = dropped_.load(std::memory_order_relaxed);
  if (dropped > droppedReported_) {
    LogEntry note;
    note.level = Level::Warn;
    note.tsNs = nowNanos();
    note.logger = "log";
    note.msg = "log queue full: entries dropped";
    note.fields["dropped"] = dropped - droppedReported_;
    batch.push_front(std::move(note));
    droppedReported_ = dropped;
  }
  std::string out;
  for (auto& sink : sinks_) {
    out.clear();
    for (auto& entry : batch) {
      if (!sink.accepts(entry.logger, entry.level) ||
          (sink.sampler && !sink.sampler->keep(entry.level, entry.msg, entry.tsNs))) {
        continue;
      }
      // Filters edit the entry; each log gets its own copy when several take it.
      LogEntry copy = entry;
      sink.encoder->encode(copy, out);
    }
    if (!out.empty()) {
      sink.writer->write(out);
    }
  }
}

}  // namespace gatehouse::log
