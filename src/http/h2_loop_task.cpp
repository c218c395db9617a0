#include "http/h2_loop_task.h"

namespace gatehouse::http {

struct LoopTask::Handle {
  uv_idle_t idle{};
  std::function<void()> run;
  bool armed = false;
};

LoopTask::LoopTask(uv_loop_t* loop, std::function<void()> run) : handle_(std::make_unique<Handle>()) {
  handle_->run = std::move(run);
  uv_idle_init(loop, &handle_->idle);
  handle_->idle.data = handle_.get();
}

LoopTask::~LoopTask() {
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->idle),
           [](uv_handle_t* h) { std::unique_ptr<Handle> owned(static_cast<Handle*>(h->data)); });
  handle_.release();  // now owned by the close callback above
}

void LoopTask::arm() {
  if (!handle_->armed) {
    handle_->armed = true;
    uv_idle_start(&handle_->idle, &LoopTask::onIdle);
  }
}

void LoopTask::onIdle(uv_idle_t* idle) {
  auto* h = static_cast<Handle*>(idle->data);
  uv_idle_stop(idle);
  h->armed = false;
  h->run();  // may destroy the LoopTask; `h` itself lives until its close callback
}

}  // namespace gatehouse::http
