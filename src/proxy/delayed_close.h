#pragma once
// stream_close_delay: after a reload removed its site, a proxied stream (WebSocket tunnel,
// SSE or other streaming response) ends once this one-shot timer fires (0: on the next
// loop iteration, never inside the reload's own walk over the exchanges). Loop thread only.

#include <uv.h>

#include <chrono>
#include <functional>

#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class DelayedClose {
 public:
  DelayedClose(uv_loop_t* loop, std::chrono::milliseconds delay, std::function<void()> close);
  DelayedClose(const DelayedClose&) = delete;
  DelayedClose& operator=(const DelayedClose&) = delete;

 private:
  static void onTimer(uv_timer_t* t);
  std::function<void()> close_;
  UvHandle<uv_timer_t> timer_;
};

}  // namespace gatehouse::proxy
