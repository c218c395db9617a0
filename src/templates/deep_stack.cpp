#include "templates/deep_stack.h"

#include <pthread.h>

#include <cstddef>
#include <exception>

namespace gatehouse::templates {

namespace {

constexpr size_t kDeepStackBytes = size_t{512} << 20;  // reserved, touched only as used
constexpr size_t kMargin = size_t{1} << 20;            // room kept for a failure's unwinding

struct Call {
  const std::function<void()>* fn;
  std::exception_ptr error;
};

void* trampoline(void* arg) {
  auto* call = static_cast<Call*>(arg);
  try {
    (*call->fn)();
  } catch (...) {
    call->error = std::current_exception();
  }
  return nullptr;
}

// The lowest usable address of the calling thread's stack (it grows down), read once.
const char* stackLow() {
  thread_local const char* low = [] {
    pthread_attr_t attr;
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &addr, &size);
      pthread_attr_destroy(&attr);
    }
    return static_cast<const char*>(addr);
  }();
  return low;
}

}  // namespace

void runOnDeepStack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) {
    fn();
    return;
  }
  Call call{&fn, nullptr};
  pthread_t thread{};
  const bool started = pthread_attr_setstacksize(&attr, kDeepStackBytes) == 0 &&
                       pthread_create(&thread, &attr, trampoline, &call) == 0;
  pthread_attr_destroy(&attr);
  if (!started) {
    fn();  // (the stack checks still keep it from overflowing)
    return;
  }
  pthread_join(thread, nullptr);
  if (call.error) {
    std::rethrow_exception(call.error);
  }
}

bool stackNearlyExhausted() {
  const char* low = stackLow();
  if (low == nullptr) {
    return false;
  }
  const char here = 0;
  const char* at = &here;
  return at < low + kMargin;
}

}  // namespace gatehouse::templates
