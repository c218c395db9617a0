#include "manager/storage_clean_schedule.h"

#include <iostream>

#include "storage/file_storage.h"
#include "storage/storage_cleaner.h"

namespace gatehouse::acme {

bool StorageCleanHistory::beginPass(std::chrono::steady_clock::time_point now,
                                    std::chrono::nanoseconds interval) {
  std::lock_guard lock(mu_);
  // A pass still running elsewhere, or one begun less than half an interval ago (Caddy's
  // margin, so a pass may take up to half the interval before the next is skipped).
  if (running_ || (last_ && now - *last_ < interval / 2)) {
    return false;
  }
  last_ = now;
  running_ = true;
  return true;
}

void StorageCleanHistory::endPass() {
  std::lock_guard lock(mu_);
  running_ = false;
}

uint64_t StorageCleanHistory::newestSchedule() {
  std::lock_guard lock(mu_);
  return ++generation_;
}

bool StorageCleanHistory::isNewest(uint64_t generation) {
  std::lock_guard lock(mu_);
  return generation == generation_;
}

StorageCleanSchedule::StorageCleanSchedule(std::string storageRoot, std::chrono::nanoseconds interval,
                                           AcmeLog::Sink logSink,
                                           std::shared_ptr<StorageCleanHistory> history)
    : root_(std::move(storageRoot)),
      interval_(interval > std::chrono::nanoseconds::zero() ? interval : kDefaultStorageCleanInterval),
      log_(std::cerr, std::move(logSink)),
      history_(history ? std::move(history) : std::make_shared<StorageCleanHistory>()) {}

StorageCleanSchedule::~StorageCleanSchedule() {
  if (thread_.joinable()) {
    thread_.request_stop();
    wake_.notify_all();
    thread_.join();
  }
}

void StorageCleanSchedule::start() {
  if (thread_.joinable()) {
    return;
  }
  const uint64_t generation = history_->newestSchedule();
  thread_ = std::jthread([this, generation](const std::stop_token& stop) { run(stop, generation); });
}

// A ticker as Go's: ticks stay on the start + k * interval grid, missed ones are dropped.
void StorageCleanSchedule::run(const std::stop_token& stop, uint64_t generation) {
  using Steady = std::chrono::steady_clock;
  pass(stop);
  auto next = Steady::now() + interval_;
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    if (wake_.wait_until(lock, stop, next, [] { return false; }) || stop.stop_requested()) {
      return;
    }
    if (!history_->isNewest(generation)) {
      return;  // a reload started the schedule that replaces this one
    }
    lock.unlock();
    pass(stop);
    lock.lock();
    const auto now = Steady::now();
    while (next <= now) {
      next += interval_;
    }
  }
}

void StorageCleanSchedule::pass(const std::stop_token& stop) {
  if (!history_->beginPass(std::chrono::steady_clock::now(), interval_)) {
    return;
  }
  FileStorage storage(root_);
  storage.setSyncLocks(false);  // one short lock per expired site: see setSyncLocks
  log_.info("tls", "cleaning storage unit", {{"description", storage.describe()}});
  try {
    StorageCleaner cleaner(storage, log_, [&stop] { return stop.stop_requested(); });
    cleaner.clean(std::chrono::system_clock::now());
  } catch (const std::exception& e) {
    // A storage that cannot be read is tried again next pass; the thread goes on.
    log_.error("tls", "cleaning storage unit", {{"description", storage.describe()}, {"error", e.what()}});
  }
  log_.info("tls", "finished cleaning storage units");
  history_->endPass();
}

}  // namespace gatehouse::acme
