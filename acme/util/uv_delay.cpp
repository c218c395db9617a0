#include "util/uv_delay.h"

#include <memory>

namespace gatehouse::acme {

namespace {
struct Delay {
  uv_timer_t timer;
  std::function<void()> fn;
};

void onClosed(uv_handle_t* h) {
  std::unique_ptr<Delay> owned(static_cast<Delay*>(h->data));
}

void onFire(uv_timer_t* t) {
  auto* d = static_cast<Delay*>(t->data);
  std::function<void()> fn = std::move(d->fn);
  uv_close(reinterpret_cast<uv_handle_t*>(t), &onClosed);
  fn();
}
}  // namespace

void runAfter(uv_loop_t* loop, std::chrono::milliseconds delay, std::function<void()> fn) {
  auto d = std::make_unique<Delay>();
  d->fn = std::move(fn);
  uv_timer_init(loop, &d->timer);
  d->timer.data = d.get();
  uv_timer_start(&d->timer, &onFire, static_cast<uint64_t>(std::max<int64_t>(0, delay.count())), 0);
  d.release();  // owned by the handle until its close callback
}

void expediteDelays(uv_loop_t* loop) {
  uv_walk(
      loop,
      [](uv_handle_t* h, void*) {
        if (h->type != UV_TIMER || uv_is_closing(h) != 0 || uv_is_active(h) == 0) {
          return;
        }
        auto* t = reinterpret_cast<uv_timer_t*>(h);
        // Only our own delays (recognised by their callback); other timers keep their time.
        if (t->timer_cb == &onFire) {
          uv_timer_start(t, &onFire, 0, 0);
        }
      },
      nullptr);
}

}  // namespace gatehouse::acme
