#include "dns/off_loop.h"

#include <memory>
#include <thread>

namespace gatehouse::acme::dns {

namespace {
struct Job {
  uv_async_t async{};
  std::thread thread;
  std::function<void()> work;
  std::function<void()> done;
};
}  // namespace

void runOffLoop(uv_loop_t* loop, std::function<void()> work, std::function<void()> done) {
  auto job = std::make_unique<Job>();
  job->work = std::move(work);
  job->done = std::move(done);
  uv_async_init(loop, &job->async, [](uv_async_t* a) {
    auto* j = static_cast<Job*>(a->data);
    j->thread.join();
    auto finished = std::move(j->done);
    // The job frees itself once libuv lets go of the handle.
    uv_close(reinterpret_cast<uv_handle_t*>(a),
             [](uv_handle_t* h) { std::unique_ptr<Job> owned(static_cast<Job*>(h->data)); });
    finished();
  });
  job->async.data = job.get();
  Job* raw = job.release();
  raw->thread = std::thread([raw] {
    raw->work();
    uv_async_send(&raw->async);
  });
}

}  // namespace gatehouse::acme::dns
