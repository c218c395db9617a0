#include "proxy/delivery_queue.h"

namespace gatehouse::proxy {

void DeliveryQueue::Entry::unlink() {
  if (next_ == nullptr) {
    return;
  }
  prev_->next_ = next_;
  next_->prev_ = prev_;
  prev_ = nullptr;
  next_ = nullptr;
}

DeliveryQueue::~DeliveryQueue() {
  // Entries still linked belong to owners that outlive the queue only in teardown: they
  // must not point at this sentinel afterwards.
  while (head_.next_ != &head_) {
    head_.next_->unlink();
  }
  head_.prev_ = head_.next_ = nullptr;
}

void DeliveryQueue::schedule(Entry& entry, void* who, Run run) {
  if (entry.queued()) {
    return;
  }
  entry.who_ = who;
  entry.run_ = run;
  entry.prev_ = head_.prev_;
  entry.next_ = &head_;
  head_.prev_->next_ = &entry;
  head_.prev_ = &entry;
  if (!idle_) {
    uv_idle_init(loop_, idle_.create());
  }
  idle_.get()->data = this;
  uv_idle_start(idle_.get(), &DeliveryQueue::onIdle);
}

void DeliveryQueue::onIdle(uv_idle_t* h) {
  auto* self = static_cast<DeliveryQueue*>(h->data);
  uv_idle_stop(h);
  if (self == nullptr || self->head_.next_ == &self->head_) {
    return;
  }
  // What the runs schedule waits for the next iteration: this batch moves to a list of
  // its own first. A run may destroy later entries' owners; their destructors unlink them.
  Entry batch;
  batch.next_ = self->head_.next_;
  batch.prev_ = self->head_.prev_;
  batch.next_->prev_ = &batch;
  batch.prev_->next_ = &batch;
  self->head_.next_ = self->head_.prev_ = &self->head_;
  while (batch.next_ != &batch) {
    Entry* e = batch.next_;
    e->unlink();
    e->run_(e->who_);
  }
  batch.prev_ = batch.next_ = nullptr;  // empty: nothing for its destructor to unlink
  if (self->head_.next_ != &self->head_) {
    uv_idle_start(h, &DeliveryQueue::onIdle);
  }
}

}  // namespace gatehouse::proxy
