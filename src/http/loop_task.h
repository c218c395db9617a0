#pragma once
// A callback run once on the next loop iteration (a uv_idle_t started on demand). Sessions
// use it to deliver body pieces and resumes outside the caller's stack, as the contract
// requires: a handler that calls resume() from its own socket callback must not see its
// exchange torn down under it. The handle is created lazily, so sessions driven from memory
// without a loop (unit tests) never need one. Loop thread only.

#include <uv.h>

#include <functional>
#include <memory>

namespace gatehouse::http {

class LoopTask {
 public:
  explicit LoopTask(std::function<void()> run) : run_(std::move(run)) {}
  ~LoopTask();
  LoopTask(const LoopTask&) = delete;
  LoopTask& operator=(const LoopTask&) = delete;

  // Runs the callback once on `loop`'s next iteration; repeated calls before it ran merge.
  void schedule(uv_loop_t* loop);
  void cancel();

 private:
  struct Handle;
  static void onIdle(uv_idle_t* h);

  std::function<void()> run_;
  Handle* handle_ = nullptr;  // owned by libuv from uv_close until its close callback
};

}  // namespace gatehouse::http
