#pragma once
// The certificate manager's obtain/renew jobs, as certmagic 0.17's job manager: a job per
// name (a name already queued or running is not queued again), at most `maxRunning` at
// once, the rest first in, first out. A job is asynchronous: it runs for as long as its
// Slot lives (copies share it); the last copy's end, or release(), frees the place and the
// next job starts through `post` (on a later loop turn, never from inside the job's own
// callbacks). close() drops the queued jobs (what they captured is released) and starts no
// more. Loop-thread only.

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>

namespace gatehouse::acme {

class JobQueue {
 public:
  // certmagic 0.17's `jobManager{maxConcurrentJobs: 1000}`.
  static constexpr size_t kCertmagicMaxRunning = 1000;

  class Ticket;
  using Slot = std::shared_ptr<Ticket>;
  using Job = std::function<void(Slot)>;
  using Post = std::function<void(std::function<void()>)>;

  JobQueue(size_t maxRunning, Post post);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // False when `name` is already queued or running, or the queue is closed.
  bool submit(const std::string& name, Job job);
  void close();

  [[nodiscard]] size_t running() const;
  [[nodiscard]] size_t queued() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// A running job's place; frees it once (release() or the last copy's destruction).
class JobQueue::Ticket {
 public:
  Ticket(std::weak_ptr<State> state, std::string name);
  ~Ticket();
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;
  void release();

 private:
  std::weak_ptr<State> state_;
  std::string name_;
  bool released_ = false;
};

}  // namespace gatehouse::acme
