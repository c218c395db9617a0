#pragma once
// One thread that runs the ACME server's slow jobs in order (challenge validation, writing
// account records), so no loop ever waits on the network or the disk for them. Jobs are
// bounded in time by their own timeouts. The destructor (a reload replacing the handler)
// lets the running job finish, still runs the queued jobs posted as `mustRun` (account
// records: a client was told its account exists), drops the others and joins.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace gatehouse::acme::server {

class BackgroundWorker {
 public:
  static constexpr size_t kMaxQueued = 1000;

  BackgroundWorker();
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // False (and the job dropped) when kMaxQueued jobs are already waiting.
  bool post(std::function<void()> job, bool mustRun = false);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  struct Job {
    std::function<void()> run;
    bool mustRun;
  };
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace gatehouse::acme::server
