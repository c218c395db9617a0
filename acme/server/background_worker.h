#pragma once
// One thread that runs the ACME server's slow jobs in order (challenge validation, writing
// account records), so no loop ever waits on the network or the disk for them. Jobs are
// bounded in time by their own timeouts. The destructor (a reload replacing the handler, often
// on a serving loop) never waits for a job: it drops the queued jobs not posted as `mustRun`
// (account records: a client was told its account exists) and leaves the thread to finish the
// running job and the rest on its own; jobs hold what they need by value or shared_ptr. An idle
// thread is joined instead (it only has to wake up and return): a thread left running
// unjoined at exit would still be using OpenSSL while its exit handler frees OpenSSL's locks
// (ThreadSanitizer reported that race at the end of e2e_acme_server_test).

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
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
  // No job queued or running (what decides whether the destructor joins the thread).
  [[nodiscard]] bool idle() const;

 private:
  struct Job {
    std::function<void()> run;
    bool mustRun;
  };
  // Shared with the thread, which outlives this object when a job is still running.
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Job> jobs;
    bool stopping = false;
    bool busy = false;  // a job is running
  };
  static void run(const std::shared_ptr<Queue>& q);

  std::shared_ptr<Queue> queue_;
  std::thread thread_;
};

}  // namespace gatehouse::acme::server
