#pragma once
// A one-shot timer (a uv_timer_t made on first use) whose handle outlives its owner until
// libuv reports it closed, so a session may own one without closing it asynchronously
// itself. Loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>

namespace gatehouse::http {

class LoopTimer {
 public:
  explicit LoopTimer(std::function<void()> run) : run_(std::move(run)) {}
  ~LoopTimer();
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Runs the callback once, `ms` from now; a second call re-arms.
  void start(uv_loop_t* loop, uint64_t ms);
  void stop();

 private:
  struct Handle;
  static void onTimer(uv_timer_t* t);

  std::function<void()> run_;
  Handle* handle_ = nullptr;  // owned by libuv from uv_close until its close callback
};

}  // namespace gatehouse::http
