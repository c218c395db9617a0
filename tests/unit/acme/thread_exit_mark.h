#pragma once
// For tests that a background thread ends with its owner: a one-shot Event on a mutex and a
// condition variable (pthread calls, which ThreadSanitizer always sees, unlike std::promise's
// futex in an uninstrumented test file), and an ExitMark to put in a thread_local of that
// thread: its destructor runs before a join returns, and its pause makes a thread left to
// exit on its own (detached) still be exiting when the test checks.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace gatehouse::testing {

class Event {
 public:
  void set() {
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

struct ExitMark {
  std::shared_ptr<Event> exited;
  ~ExitMark() {
    if (exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      exited->set();
    }
  }
};

}  // namespace gatehouse::testing
