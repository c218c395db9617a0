// DeliveryQueue: runs on the loop's next iteration, merged, in order, and cancellable
// (also by an earlier run of the same batch, as a session that answers first does).
#include "proxy/delivery_queue.h"

#include <uv.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>

using gatehouse::proxy::DeliveryQueue;

namespace {

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
  }
};

struct Caller {
  std::string* log = nullptr;
  char name = 0;
  DeliveryQueue::Entry entry;
  Caller* victim = nullptr;        // cancelled from this caller's run
  DeliveryQueue* again = nullptr;  // scheduled once more from this caller's run
  static void run(void* who) {
    auto* self = static_cast<Caller*>(who);
    self->log->push_back(self->name);
    if (self->victim != nullptr) {
      DeliveryQueue::cancel(self->victim->entry);
    }
    if (self->again != nullptr) {
      DeliveryQueue* q = std::exchange(self->again, nullptr);
      q->schedule(self->entry, self, &Caller::run);
    }
  }
};

}  // namespace

TEST_CASE("delivery queue: runs once per schedule, in order, on the next iteration") {
  Loop l;
  std::string log;
  {
    DeliveryQueue q(&l.loop);
    Caller a{&log, 'a', {}};
    Caller b{&log, 'b', {}};
    q.schedule(b.entry, &b, &Caller::run);
    q.schedule(a.entry, &a, &Caller::run);
    q.schedule(b.entry, &b, &Caller::run);  // merged with the first
    CHECK(b.entry.queued());
    CHECK(log.empty());
    uv_run(&l.loop, UV_RUN_NOWAIT);
    CHECK(log == "ba");
    CHECK_FALSE(a.entry.queued());
    uv_run(&l.loop, UV_RUN_NOWAIT);
    CHECK(log == "ba");
    q.close();
  }
}

TEST_CASE("delivery queue: a cancelled entry never runs, also when an earlier run cancels it") {
  Loop l;
  std::string log;
  {
    DeliveryQueue q(&l.loop);
    Caller a{&log, 'a', {}};
    Caller b{&log, 'b', {}};
    Caller c{&log, 'c', {}};
    a.victim = &c;
    q.schedule(a.entry, &a, &Caller::run);
    q.schedule(b.entry, &b, &Caller::run);
    q.schedule(c.entry, &c, &Caller::run);
    DeliveryQueue::cancel(b.entry);
    uv_run(&l.loop, UV_RUN_NOWAIT);
    CHECK(log == "a");
    q.close();
  }
}

TEST_CASE("delivery queue: an owner destroyed before the run unlinks itself") {
  Loop l;
  std::string log;
  {
    DeliveryQueue q(&l.loop);
    Caller a{&log, 'a', {}};
    {
      auto gone = std::make_unique<Caller>();
      gone->log = &log;
      gone->name = 'x';
      q.schedule(gone->entry, gone.get(), &Caller::run);
      q.schedule(a.entry, &a, &Caller::run);
    }
    uv_run(&l.loop, UV_RUN_NOWAIT);
    CHECK(log == "a");
    q.close();
  }
}

TEST_CASE("delivery queue: what a run schedules waits for the next iteration") {
  Loop l;
  std::string log;
  {
    DeliveryQueue q(&l.loop);
    Caller a{&log, 'a', {}};
    a.again = &q;
    q.schedule(a.entry, &a, &Caller::run);
    uv_run(&l.loop, UV_RUN_NOWAIT);
    CHECK(log == "a");
    CHECK(a.entry.queued());
    uv_run(&l.loop, UV_RUN_NOWAIT);
    CHECK(log == "aa");
    q.close();
  }
}
