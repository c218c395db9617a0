#include "server/background_worker.h"

namespace gatehouse::acme::server {

BackgroundWorker::BackgroundWorker() : thread_([this] { run(); }) {}

BackgroundWorker::~BackgroundWorker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    std::erase_if(jobs_, [](const Job& j) { return !j.mustRun; });
  }
  cv_.notify_all();
  thread_.join();
}

bool BackgroundWorker::post(std::function<void()> job, bool mustRun) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= kMaxQueued) {
      return false;
    }
    jobs_.push_back(Job{std::move(job), mustRun});
  }
  cv_.notify_one();
  return true;
}

void BackgroundWorker::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) {
        return;  // stopping, and nothing that must run is left
      }
      job = std::move(jobs_.front().run);
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace gatehouse::acme::server
