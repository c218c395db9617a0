#include "log/roll_compressor.h"

namespace gatehouse::log {

RollCompressor::RollCompressor() : thread_([this] { run(); }) {}

RollCompressor::~RollCompressor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void RollCompressor::post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void RollCompressor::drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return jobs_.empty() && !busy_; });
}

void RollCompressor::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) {
      break;  // stopping, nothing left
    }
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    idle_.notify_all();
  }
}

}  // namespace gatehouse::log
