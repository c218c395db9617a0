#pragma once
// Closing a heap-allocated libuv handle whose memory must outlive uv_close: the close
// callback frees it. The owner's pointer is cleared, so a second call does nothing.

#include <uv.h>

#include <memory>

namespace gatehouse::acme {

template <typename T>
void closeAndFree(T*& handle) {
  if (handle == nullptr) {
    return;
  }
  handle->data = handle;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { std::unique_ptr<T> owned(static_cast<T*>(h->data)); });
  handle = nullptr;
}

}  // namespace gatehouse::acme
