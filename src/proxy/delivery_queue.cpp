#include "proxy/delivery_queue.h"

#include <algorithm>

namespace gatehouse::proxy {

void DeliveryQueue::schedule(void* who, Run run) {
  if (std::any_of(next_.begin(), next_.end(), [&](const Entry& e) { return e.who == who; })) {
    return;
  }
  next_.push_back(Entry{who, run});
  if (!idle_) {
    uv_idle_init(loop_, idle_.create());
  }
  idle_.get()->data = this;
  uv_idle_start(idle_.get(), &DeliveryQueue::onIdle);
}

void DeliveryQueue::cancel(void* who) {
  for (auto* list : {&next_, &running_}) {
    for (auto& e : *list) {
      if (e.who == who) {
        e.who = nullptr;
      }
    }
  }
}

void DeliveryQueue::onIdle(uv_idle_t* h) {
  auto* self = static_cast<DeliveryQueue*>(h->data);
  if (self == nullptr) {
    return;
  }
  // What the calls run now schedule waits for the next iteration.
  self->running_.swap(self->next_);
  uv_idle_stop(h);
  // By index: a run may cancel later entries (a call destroyed by an earlier one).
  for (size_t i = 0; i < self->running_.size(); ++i) {
    const Entry e = self->running_[i];
    if (e.who != nullptr) {
      e.run(e.who);
    }
  }
  self->running_.clear();
  if (!self->next_.empty()) {
    uv_idle_start(h, &DeliveryQueue::onIdle);
  }
}

}  // namespace gatehouse::proxy
