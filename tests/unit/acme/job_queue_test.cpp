#include "manager/job_queue.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

using gatehouse::acme::JobQueue;

namespace {
// Stands in for the loop: posted work runs when the test says.
struct FakeLoop {
  std::vector<std::function<void()>> pending;
  JobQueue::Post post() {
    return [this](std::function<void()> fn) { pending.push_back(std::move(fn)); };
  }
  void turn() {
    auto now = std::move(pending);
    pending.clear();
    for (auto& fn : now) {
      fn();
    }
  }
};
}  // namespace

TEST_CASE("job queue: at most maxRunning jobs at once, the rest in order") {
  CHECK(JobQueue::kCertmagicMaxRunning == 1000);
  FakeLoop loop;
  JobQueue q(2, loop.post());
  std::vector<std::string> started;
  std::vector<JobQueue::Slot> held;
  for (const char* n : {"a", "b", "c", "d"}) {
    CHECK(q.submit(n, [&, n](JobQueue::Slot s) {
      started.emplace_back(n);
      held.push_back(std::move(s));
    }));
  }
  CHECK(started.empty());  // never from inside submit()
  loop.turn();
  CHECK(started == std::vector<std::string>{"a", "b"});
  CHECK(q.running() == 2);
  CHECK(q.queued() == 2);
  held.erase(held.begin());  // a's last copy ends: c may start, on the next turn
  CHECK(started.size() == 2);
  loop.turn();
  CHECK(started == std::vector<std::string>{"a", "b", "c"});
  held.front()->release();  // b ends explicitly, while a copy is still held
  held.front()->release();  // idempotent
  loop.turn();
  CHECK(started == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(q.running() == 2);
  held.clear();
  CHECK(q.running() == 0);
}

TEST_CASE("job queue: a name queued or running is not queued again; it is once it ended") {
  FakeLoop loop;
  JobQueue q(1, loop.post());
  int runs = 0;
  JobQueue::Slot slot;
  auto job = [&](JobQueue::Slot s) {
    ++runs;
    slot = std::move(s);
  };
  CHECK(q.submit("a", job));
  CHECK_FALSE(q.submit("a", job));  // queued
  loop.turn();
  CHECK(runs == 1);
  CHECK_FALSE(q.submit("a", job));  // running
  slot.reset();
  CHECK(q.submit("a", job));  // ended: a renewal later is a new job
  loop.turn();
  CHECK(runs == 2);
}

TEST_CASE("job queue: close() drops queued jobs and what they hold; running ones end normally") {
  FakeLoop loop;
  auto q = std::make_unique<JobQueue>(1, loop.post());
  auto captured = std::make_shared<int>(7);
  std::weak_ptr<int> watch = captured;
  JobQueue::Slot running;
  int started = 0;
  CHECK(q->submit("a", [&](JobQueue::Slot s) {
    ++started;
    running = std::move(s);
  }));
  CHECK(q->submit("b", [&, captured](JobQueue::Slot) { ++started; }));
  captured.reset();
  loop.turn();
  CHECK(started == 1);
  q->close();
  CHECK(watch.expired());  // the queued job's captures are released at once
  CHECK(q->queued() == 0);
  CHECK_FALSE(q->submit("c", [&](JobQueue::Slot) { ++started; }));
  running.reset();  // ends after close: nothing more starts
  loop.turn();
  CHECK(started == 1);

  // A slot outliving its queue (a flow ending after the manager's queue) is harmless.
  auto q2 = std::make_unique<JobQueue>(1, loop.post());
  JobQueue::Slot late;
  q2->submit("x", [&](JobQueue::Slot s) { late = std::move(s); });
  loop.turn();
  q2.reset();
  late.reset();
  // A job posted but never run (the loop closed first) frees its place when dropped.
  JobQueue q3(1, loop.post());
  q3.submit("y", [&](JobQueue::Slot) {});
  loop.pending.clear();
  CHECK(q3.running() == 0);
  CHECK(q3.submit("y", [&](JobQueue::Slot) {}));
}
