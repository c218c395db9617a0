// The ACME server's background thread: an idle worker's thread is gone when the destructor
// returns (joined, so nothing of it runs on into process exit: TSan reported OpenSSL's exit
// handler freeing locks that the unjoined thread had used); a busy one is left to finish
// its job, and the destructor does not wait for it.
#include "server/background_worker.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "thread_exit_mark.h"

using gatehouse::acme::server::BackgroundWorker;

using gatehouse::testing::Event;
using gatehouse::testing::ExitMark;

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
