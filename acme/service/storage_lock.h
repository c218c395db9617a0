#pragma once
// Holds a storage lock for as long as it lives: refreshes it on a timer (so other
// processes do not think it stale) and releases it at the end.

#include <uv.h>

#include <memory>
#include <string>

#include "storage/storage.h"

namespace gatehouse::acme {

class StorageLock {
 public:
  StorageLock(uv_loop_t* loop, Storage& storage, std::string name, std::chrono::milliseconds refresh);
  ~StorageLock();
  StorageLock(const StorageLock&) = delete;
  StorageLock& operator=(const StorageLock&) = delete;

 private:
  static void onRefresh(uv_timer_t* t);
  Storage& storage_;
  std::string name_;
  uv_timer_t* timer_;  // owned; freed in its close callback
};

}  // namespace gatehouse::acme
