#pragma once
// A callback run on the next loop iteration. Sessions use it where the contracts forbid a
// synchronous call (a BodySink is never called from inside BodySource::pull()) and to
// destroy closed streams only once no stream code is on the call stack. Loop-thread only.

#include <uv.h>

#include <functional>
#include <memory>

namespace gatehouse::http {

class LoopTask {
 public:
  LoopTask(uv_loop_t* loop, std::function<void()> run);
  ~LoopTask();
  LoopTask(const LoopTask&) = delete;
  LoopTask& operator=(const LoopTask&) = delete;

  // Schedules one run (several arm() calls before it runs still give one run).
  void arm();

 private:
  struct Handle;
  static void onIdle(uv_idle_t* idle);
  // Owned here until the destructor hands it to uv_close, whose callback frees it: libuv
  // may touch the handle until then, after this object is gone.
  std::unique_ptr<Handle> handle_;
};

}  // namespace gatehouse::http
