// The ACME server's background thread: an idle worker's thread is gone when the destructor
// returns (joined, so nothing of it runs on into process exit: TSan reported OpenSSL's exit
// handler freeing locks that the unjoined thread had used); a busy one is left to finish
// its job, and the destructor does not wait for it.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <iterator>
#include <memory>

#include "server/background_worker.h"

using gatehouse::acme::server::BackgroundWorker;

namespace {
long threadCount() {
  const std::filesystem::directory_iterator it("/proc/self/task");
  return std::distance(std::filesystem::begin(it), std::filesystem::end(it));
}
}  // namespace

TEST_CASE("acme server background worker: an idle worker's thread ends with it", "[acme][acme_server]") {
  const long before = threadCount();
  {
    BackgroundWorker w;
    std::promise<void> ran;
    REQUIRE(w.post([&] { ran.set_value(); }));
    REQUIRE(ran.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    // The job may still be returning: wait (bounded) until the worker is idle again.
    std::promise<void> second;
    REQUIRE(w.post([&] { second.set_value(); }));
    REQUIRE(second.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK(threadCount() == before + 1);
  }
  CHECK(threadCount() == before);
}

TEST_CASE("acme server background worker: the destructor does not wait for a running job",
          "[acme][acme_server]") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  // Shared: the detached thread may still be inside set_value when the test has seen it.
  auto finished = std::make_shared<std::promise<void>>();
  auto done = finished->get_future();
  {
    BackgroundWorker w;
    REQUIRE(w.post([&started, released, finished] {
      started.set_value();
      released.wait_for(std::chrono::seconds(10));
      finished->set_value();
    }));
    REQUIRE(started.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  }
  CHECK(done.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);  // still running
  release.set_value();
  CHECK(done.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}
