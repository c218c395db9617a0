#include "http/loop_task.h"

namespace gatehouse::http {

struct LoopTask::Handle {
  uv_idle_t idle{};
  LoopTask* owner = nullptr;
};

LoopTask::~LoopTask() {
  if (handle_ == nullptr) {
    return;
  }
  // The handle outlives us until libuv reports it closed; the callback frees it.
  handle_->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->idle),
           [](uv_handle_t* h) { std::unique_ptr<Handle> dead(static_cast<Handle*>(h->data)); });
}

void LoopTask::schedule(uv_loop_t* loop) {
  if (handle_ == nullptr) {
    auto h = std::make_unique<Handle>();
    uv_idle_init(loop, &h->idle);
    h->idle.data = h.get();
    h->owner = this;
    handle_ = h.release();
  }
  uv_idle_start(&handle_->idle, &LoopTask::onIdle);
}

void LoopTask::cancel() {
  if (handle_ != nullptr) {
    uv_idle_stop(&handle_->idle);
  }
}

void LoopTask::onIdle(uv_idle_t* h) {
  auto* handle = static_cast<Handle*>(h->data);
  uv_idle_stop(h);
  if (handle->owner != nullptr) {
    handle->owner->run_();  // may destroy the owner: nothing touches it afterwards
  }
}

}  // namespace gatehouse::http
