#pragma once
// The configured logs (Caddy's `logging.logs`) and the one thread that writes them. The
// thread that logs filters and encodes its entry itself (as zap does in the caller), so
// encoding spreads over the workers and what waits for the writer is text: each log's
// pending lines, bounded in bytes. Loop threads never touch a file: when the pending text
// is at its bound the entry is dropped and counted, and the count is logged once there is
// room.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "log/encoder.h"
#include "log/log_entry.h"
#include "log/log_sampler.h"
#include "log/log_writer.h"

namespace gatehouse::log {

// One named log: which loggers it takes (include/exclude namespaces), its minimum level,
// how it encodes and where it writes.
struct LogSink {
  std::string name;
  Level minLevel = Level::Info;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::unique_ptr<Encoder> encoder;
  std::unique_ptr<LogWriter> writer;
  std::unique_ptr<Sampler> sampler;  // `sampling`; null writes every entry

  // Caddy's BaseLog.loggerAllowed: the longest matching include must beat the longest
  // matching exclude; no lists at all takes everything.
  [[nodiscard]] bool accepts(std::string_view logger, Level level) const;
};

class LogService {
 public:
  // About 16,000 access log lines: a writer that stalls holds at most this much text.
  static constexpr size_t kDefaultCapacityBytes = size_t{8} << 20;

  explicit LogService(std::vector<LogSink> sinks, size_t capacityBytes = kDefaultCapacityBytes);
  // Writes what is queued, then stops the thread.
  ~LogService();
  LogService(const LogService&) = delete;
  LogService& operator=(const LogService&) = delete;

  // Whether any log would take this entry; lets callers skip building it.
  [[nodiscard]] bool wants(std::string_view logger, Level level) const;
  // Any thread. Encodes the entry for every log that takes it; never waits on I/O, drops
  // the entry when the pending text is at its bound.
  void emit(LogEntry entry);
  // The writer of the named log ("stderr", a file's path...), or "" when there is none.
  [[nodiscard]] std::string writerName(std::string_view sink) const;
  [[nodiscard]] uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Blocks until everything emitted so far is written (tests, shutdown).
  void flush();

 private:
  // The logs that take `entry` (level, namespaces, sampling), writers that discard left out.
  std::vector<size_t> takers(const LogEntry& entry);
  void run();
  // The note about dropped entries, encoded for the logs that take it.
  void encodeDropNote(uint64_t dropped, std::vector<std::string>& texts) const;

  std::vector<LogSink> sinks_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::vector<std::string> pending_;  // encoded lines waiting, one string per sink
  size_t pendingBytes_ = 0;
  uint64_t accepted_ = 0;  // entries queued, for flush()
  uint64_t done_ = 0;      // entries written (or failed), for flush()
  bool stop_ = false;
  std::atomic<uint64_t> dropped_{0};
  uint64_t droppedReported_ = 0;
  std::thread thread_;
};

}  // namespace gatehouse::log
