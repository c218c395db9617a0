#include "proxy/delayed_close.h"

namespace gatehouse::proxy {

DelayedClose::DelayedClose(uv_loop_t* loop, std::chrono::milliseconds delay, std::function<void()> close)
    : close_(std::move(close)) {
  uv_timer_init(loop, timer_.create());
  timer_.get()->data = this;
  uv_timer_start(timer_.get(), &DelayedClose::onTimer,
                 static_cast<uint64_t>(std::max<int64_t>(delay.count(), 0)), 0);
}

void DelayedClose::onTimer(uv_timer_t* t) {
  auto* self = static_cast<DelayedClose*>(t->data);
  if (self != nullptr) {
    self->close_();  // may destroy nothing here: the owner outlives its own callbacks
  }
}

}  // namespace gatehouse::proxy
