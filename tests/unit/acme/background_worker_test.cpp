// The ACME server's background thread: an idle worker's thread is gone when the destructor
// returns (joined, so nothing of it runs on into process exit: TSan reported OpenSSL's exit
// handler freeing locks that the unjoined thread had used); a busy one is left to finish
// its job, and the destructor does not wait for it.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "server/background_worker.h"

using gatehouse::acme::server::BackgroundWorker;

namespace {
// A one-shot event on a mutex and a condition variable (pthread calls, which ThreadSanitizer
// always sees, unlike std::promise's futex in this uninstrumented test file).
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
// Set by the worker thread's thread-local destructors, which run before a join returns; the
// pause makes a thread left to exit on its own (detached) still be exiting when it is checked.
struct ExitMark {
  std::shared_ptr<Event> exited;
  ~ExitMark() {
    if (exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      exited->set();
    }
  }
};
}  // namespace

TEST_CASE("acme server background worker: an idle worker's thread ends with it", "[acme][acme_server]") {
  auto ran = std::make_shared<Event>();
  auto exited = std::make_shared<Event>();
  {
    BackgroundWorker w;
    REQUIRE(w.post([ran, exited] {
      thread_local ExitMark mark;
      mark.exited = exited;
      ran->set();
    }));
    REQUIRE(ran->wait(std::chrono::seconds(10)));
    for (int i = 0; i < 1000 && !w.idle(); ++i) {  // the job is returning (bounded: 10 s)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(w.idle());
  }
  CHECK(exited->wait(std::chrono::milliseconds(0)));  // joined: the thread has exited
}

TEST_CASE("acme server background worker: the destructor does not wait for a running job",
          "[acme][acme_server]") {
  auto started = std::make_shared<Event>();
  auto release = std::make_shared<Event>();
  auto finished = std::make_shared<Event>();
  {
    BackgroundWorker w;
    REQUIRE(w.post([started, release, finished] {
      started->set();
      release->wait(std::chrono::seconds(10));
      finished->set();
    }));
    REQUIRE(started->wait(std::chrono::seconds(10)));
  }
  CHECK_FALSE(finished->wait(std::chrono::milliseconds(0)));  // still running
  release->set();
  CHECK(finished->wait(std::chrono::seconds(10)));
}
