#pragma once
// The configured logs (Caddy's `logging.logs`) and the one thread that writes them. Loop
// threads hand entries over through a bounded queue and never touch a file: when the queue
// is full the entry is dropped and counted, and the count is logged once there is room.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
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
  static constexpr size_t kDefaultCapacity = 16384;

  explicit LogService(std::vector<LogSink> sinks, size_t capacity = kDefaultCapacity);
  // Writes what is queued, then stops the thread.
  ~LogService();
  LogService(const LogService&) = delete;
  LogService& operator=(const LogService&) = delete;

  // Whether any log would take this entry; lets callers skip building it.
  [[nodiscard]] bool wants(std::string_view logger, Level level) const;
  // Any thread. Never waits on I/O; drops the entry when the queue is full.
  void emit(LogEntry entry);
  // The writer of the named log ("stderr", a file's path...), or "" when there is none.
  [[nodiscard]] std::string writerName(std::string_view sink) const;
  [[nodiscard]] uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // Blocks until everything emitted so far is written (tests, shutdown).
  void flush();

 private:
  void run();
  void writeBatch(std::deque<LogEntry>& batch);

  std::vector<LogSink> sinks_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<LogEntry> queue_;
  uint64_t accepted_ = 0;  // entries queued, for flush()
  uint64_t done_ = 0;      // entries written (or failed), for flush()
  bool stop_ = false;
  std::atomic<uint64_t> dropped_{0};
  uint64_t droppedReported_ = 0;
  std::thread thread_;
};

}  // namespace gatehouse::log
