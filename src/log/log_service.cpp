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

LogService::LogService(std::vector<LogSink> sinks, size_t capacityBytes)
    : sinks_(std::move(sinks)),
      capacity_(capacityBytes),
      pending_(sinks_.size()),
      thread_([this] { run(); }) {}

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
                     [&](const LogSink& s) { return !s.writer->discards() && s.accepts(logger, level); });
}

std::string LogService::writerName(std::string_view sink) const {
  for (const auto& s : sinks_) {
    if (s.name == sink) {
      return s.writer->describe();
    }
  }
  return "";
}

std::vector<size_t> LogService::takers(const LogEntry& entry) {
  std::vector<size_t> out;
  for (size_t i = 0; i < sinks_.size(); ++i) {
    const LogSink& sink = sinks_[i];
    if (sink.writer->discards() || !sink.accepts(entry.logger, entry.level) ||
        (sink.sampler && !sink.sampler->keep(entry.level, entry.msg, entry.tsNs))) {
      continue;
    }
    out.push_back(i);
  }
  return out;
}

void LogService::emit(LogEntry entry) {
  const std::vector<size_t> sinks = takers(entry);
  if (sinks.empty()) {
    return;
  }
  std::vector<std::string> texts(sinks.size());
  size_t bytes = 0;
  for (size_t k = 0; k < sinks.size(); ++k) {
    // Filters edit the entry: every log but the last encodes a copy of its own.
    if (k + 1 < sinks.size()) {
      LogEntry copy = entry;
      sinks_[sinks[k]].encoder->encode(copy, texts[k]);
    } else {
      sinks_[sinks[k]].encoder->encode(entry, texts[k]);
    }
    bytes += texts[k].size();
  }
  {
    std::lock_guard lock(mu_);
    if (stop_ || (pendingBytes_ > 0 && pendingBytes_ + bytes > capacity_)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    for (size_t k = 0; k < sinks.size(); ++k) {
      pending_[sinks[k]] += texts[k];
    }
    pendingBytes_ += bytes;
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
  std::vector<std::string> batch(sinks_.size());
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || accepted_ != done_; });
    if (accepted_ == done_ && stop_) {
      break;
    }
    batch.swap(pending_);
    const uint64_t taken = accepted_;
    pendingBytes_ = 0;
    lock.unlock();
    // Drops from before this batch are reported ahead of it, in the same logs as the
    // entries that survived.
    const uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    if (dropped > droppedReported_) {
      encodeDropNote(dropped - droppedReported_, batch);
      droppedReported_ = dropped;
    }
    for (size_t i = 0; i < sinks_.size(); ++i) {
      if (!batch[i].empty()) {
        sinks_[i].writer->write(batch[i]);
        batch[i].clear();  // keeps its capacity for the next swap
      }
    }
    lock.lock();
    done_ = taken;
    idle_.notify_all();
  }
}

void LogService::encodeDropNote(uint64_t dropped, std::vector<std::string>& texts) const {
  LogEntry note;
  note.level = Level::Warn;
  note.tsNs = nowNanos();
  note.logger = "log";
  note.msg = "log queue full: entries dropped";
  note.fields["dropped"] = dropped;
  for (size_t i = 0; i < sinks_.size(); ++i) {
    const LogSink& sink = sinks_[i];
    if (sink.writer->discards() || !sink.accepts(note.logger, note.level)) {
      continue;
    }
    std::string line;
    LogEntry copy = note;
    sink.encoder->encode(copy, line);
    texts[i].insert(0, line);
  }
}

}  // namespace gatehouse::log
