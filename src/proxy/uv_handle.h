#pragma once
// Owns one libuv handle on the heap. libuv may still reference a handle after uv_close()
// until its close callback runs, so the memory is released there, not in the destructor.
// Loop thread only.

#include <uv.h>

#include <memory>

namespace gatehouse::proxy {

template <typename T>
class UvHandle {
 public:
  UvHandle() = default;
  ~UvHandle() { reset(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : h_(other.h_) { other.h_ = nullptr; }
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = other.h_;
      other.h_ = nullptr;
    }
    return *this;
  }

  // Allocates the handle; the caller runs the matching uv_*_init on get() at once.
  T* create() {
    reset();
    h_ = std::make_unique<T>().release();
    return h_;
  }
  [[nodiscard]] T* get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  uv_handle_t* handle() const { return reinterpret_cast<uv_handle_t*>(h_); }
  uv_stream_t* stream() const { return reinterpret_cast<uv_stream_t*>(h_); }

  // Closes now; data callbacks stop at once, the memory goes in the close callback.
  void reset() {
    if (h_ == nullptr) {
      return;
    }
    h_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(h_),
             [](uv_handle_t* h) { std::unique_ptr<T> dead(reinterpret_cast<T*>(h)); });
    h_ = nullptr;
  }

 private:
  T* h_ = nullptr;
};

}  // namespace gatehouse::proxy
