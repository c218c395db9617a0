#include "service/storage_lock.h"

namespace gatehouse::acme {

StorageLock::StorageLock(uv_loop_t* loop, Storage& storage, std::string name,
                         std::chrono::milliseconds refresh)
    : storage_(storage), name_(std::move(name)) {
  auto timer = std::make_unique<uv_timer_t>();
  uv_timer_init(loop, timer.get());
  timer_ = timer.release();
  timer_->data = this;
  const auto ms = static_cast<uint64_t>(refresh.count());
  uv_timer_start(timer_, &StorageLock::onRefresh, ms, ms);
}

StorageLock::~StorageLock() {
  uv_timer_stop(timer_);
  timer_->data = timer_;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { std::unique_ptr<uv_timer_t> owned(static_cast<uv_timer_t*>(h->data)); });
  try {
    storage_.unlock(name_);
  } catch (const std::exception&) {
    // Left behind, the lock goes stale within seconds and the next taker clears it.
  }
}

void StorageLock::onRefresh(uv_timer_t* t) {
  auto* self = static_cast<StorageLock*>(t->data);
  try {
    self->storage_.refreshLock(self->name_);
  } catch (const std::exception&) {
    // A missed refresh only risks the lock looking stale; the next one retries.
  }
}

}  // namespace gatehouse::acme
