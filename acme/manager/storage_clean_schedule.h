#pragma once
// When Caddy 2.6.2 cleans its storage (see storage/storage_cleaner.h for what it removes):
// as soon as the TLS app starts, then every storage_clean_interval (24 h by default), on a
// thread of its own so neither the serving loops nor certificate issuance wait on a scan.
// A config reload starts a new schedule; as in Caddy, its first pass is skipped when the
// last one began less than half an interval ago, and the schedule it replaces stops at its
// next tick. That memory lives in a StorageCleanHistory handed from each runtime to the next.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "log/acme_log.h"

namespace gatehouse::acme {

inline constexpr std::chrono::hours kDefaultStorageCleanInterval{24};

// One per process: serialises passes and remembers when the last one began.
class StorageCleanHistory {
 public:
  // True (and noted as the last pass) when a pass may begin now.
  bool beginPass(std::chrono::steady_clock::time_point now, std::chrono::nanoseconds interval);
  void endPass();
  uint64_t newestSchedule();  // a newly started schedule's generation
  bool isNewest(uint64_t generation);

 private:
  std::mutex mu_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  bool running_ = false;
  uint64_t generation_ = 0;
};

class StorageCleanSchedule {
 public:
  StorageCleanSchedule(std::string storageRoot, std::chrono::nanoseconds interval, AcmeLog::Sink logSink,
                       std::shared_ptr<StorageCleanHistory> history);
  ~StorageCleanSchedule();  // stops the thread (a pass in progress ends at its next entry)
  StorageCleanSchedule(const StorageCleanSchedule&) = delete;
  StorageCleanSchedule& operator=(const StorageCleanSchedule&) = delete;

  void start();  // once; later calls do nothing
  [[nodiscard]] const std::shared_ptr<StorageCleanHistory>& history() const { return history_; }
  [[nodiscard]] std::chrono::nanoseconds interval() const { return interval_; }

 private:
  void run(const std::stop_token& stop, uint64_t generation);
  void pass(const std::stop_token& stop);

  std::string root_;
  std::chrono::nanoseconds interval_;
  AcmeLog log_;
  std::shared_ptr<StorageCleanHistory> history_;
  std::mutex mu_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: stopped and joined before the members it uses go
};

}  // namespace gatehouse::acme
