#include "http/loop_timer.h"

#include <memory>

namespace gatehouse::http {

struct LoopTimer::Handle {
  uv_timer_t timer{};
  LoopTimer* owner = nullptr;
};

LoopTimer::~LoopTimer() {
  if (handle_ == nullptr) {
    return;
  }
  handle_->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->timer),
           [](uv_handle_t* h) { std::unique_ptr<Handle> dead(static_cast<Handle*>(h->data)); });
}

void LoopTimer::start(uv_loop_t* loop, uint64_t ms) {
  if (handle_ == nullptr) {
    auto h = std::make_unique<Handle>();
    uv_timer_init(loop, &h->timer);
    h->timer.data = h.get();
    h->owner = this;
    handle_ = h.release();
  }
  uv_timer_start(&handle_->timer, &LoopTimer::onTimer, ms, 0);
}

void LoopTimer::stop() {
  if (handle_ != nullptr) {
    uv_timer_stop(&handle_->timer);
  }
}

void LoopTimer::onTimer(uv_timer_t* t) {
  auto* handle = static_cast<Handle*>(t->data);
  if (handle->owner != nullptr) {
    handle->owner->run_();  // may destroy the owner: nothing touches it afterwards
  }
}

}  // namespace gatehouse::http
