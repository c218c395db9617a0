#pragma once
// nghttp2's memory for one HTTP/2 session: small blocks (stream state, queued frames, header
// copies, HPACK buffers) are kept on per-size free lists and handed out again, so a busy
// connection stops paying malloc and free for every stream (glibc's per-thread cache holds
// only seven blocks of a size, fewer than the streams of one batch). Larger blocks go to
// malloc directly. release() gives the cached blocks back (an idle connection keeps none).
// Loop-thread only; must outlive the nghttp2 session that uses mem().

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>

namespace gatehouse::http {

class H2Allocator {
 public:
  H2Allocator();
  ~H2Allocator();
  H2Allocator(const H2Allocator&) = delete;
  H2Allocator& operator=(const H2Allocator&) = delete;

  nghttp2_mem* mem() { return &mem_; }
  void release();

  // Size classes: multiples of kGranule up to kGranule * kClasses bytes (header included).
  static constexpr size_t kGranule = 64;
  static constexpr size_t kClasses = 16;
  // Free blocks kept per class; more are returned to malloc.
  static constexpr size_t kMaxCached = 64;

 private:
  void* allocate(size_t size);
  void deallocate(void* p);
  void* reallocate(void* p, size_t size);

  struct FreeBlock {
    FreeBlock* next;
  };
  nghttp2_mem mem_{};
  std::array<FreeBlock*, kClasses> free_{};
  std::array<size_t, kClasses> cached_{};
};

}  // namespace gatehouse::http
