#include "server/background_worker.h"

#include <thread>

namespace gatehouse::acme::server {

BackgroundWorker::BackgroundWorker() : queue_(std::make_shared<Queue>()), thread_([q = queue_] { run(q); }) {}

BackgroundWorker::~BackgroundWorker() {
  bool quiet = false;
  {
    std::lock_guard lock(queue_->mu);
    queue_->stopping = true;
    std::erase_if(queue_->jobs, [](const Job& j) { return !j.mustRun; });
    quiet = !queue_->busy && queue_->jobs.empty();
  }
  queue_->cv.notify_all();
  if (quiet) {
    thread_.join();  // it returns as soon as it sees `stopping`
  } else {
    thread_.detach();
  }
}

bool BackgroundWorker::post(std::function<void()> job, bool mustRun) {
  {
    std::lock_guard lock(queue_->mu);
    if (queue_->jobs.size() >= kMaxQueued) {
      return false;
    }
    queue_->jobs.push_back(Job{std::move(job), mustRun});
  }
  queue_->cv.notify_one();
  return true;
}

bool BackgroundWorker::idle() const {
  std::lock_guard lock(queue_->mu);
  return !queue_->busy && queue_->jobs.empty();
}

void BackgroundWorker::run(const std::shared_ptr<Queue>& q) {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(q->mu);
      q->cv.wait(lock, [&] { return q->stopping || !q->jobs.empty(); });
      if (q->jobs.empty()) {
        return;  // stopping, and nothing that must run is left
      }
      job = std::move(q->jobs.front().run);
      q->jobs.pop_front();
      q->busy = true;
    }
    job();
    job = nullptr;  // what it holds goes before the destructor can see the worker idle
    std::lock_guard lock(q->mu);
    q->busy = false;
  }
}

}  // namespace gatehouse::acme::server
