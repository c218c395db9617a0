#pragma once
// The per-request working state of an HTTP/1.1 session (the Exchange with its header lists,
// the output buffer, the URL being parsed), kept in a per-worker free list between requests.
// An idle keep-alive connection then holds no session at all, and a busy one reuses buffers
// that earlier requests on any connection already grew. Loop-thread only.

#include <memory>
#include <string>
#include <vector>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

struct Http1Scratch {
  runtime::Exchange ex;
  std::string out;  // response bytes produced since the last flush
  std::string url;  // request-target as llhttp delivers it
};

class Http1ScratchPool {
 public:
  // Enough for every request in flight on a busy worker; more are freed when returned.
  static constexpr size_t kMaxFree = 64;
  // Buffers grown past this (a large body in `out`) are not worth keeping for reuse.
  static constexpr size_t kMaxKeptBytes = 16 * 1024;

  Http1ScratchPool() = default;
  Http1ScratchPool(const Http1ScratchPool&) = delete;
  Http1ScratchPool& operator=(const Http1ScratchPool&) = delete;

  std::unique_ptr<Http1Scratch> take();
  // Clears `s` (dropping what the finished exchange referenced) and keeps it for reuse.
  void give(std::unique_ptr<Http1Scratch> s);
  [[nodiscard]] size_t freeCount() const { return free_.size(); }

 private:
  std::vector<std::unique_ptr<Http1Scratch>> free_;
};

}  // namespace gatehouse::http
