#pragma once
// nghttp2's memory for one HTTP/2 session: small blocks (stream state, queued frames, header
// copies, HPACK buffers) are kept on per-size free lists and handed out again, so a busy
// connection stops paying malloc and free for every stream (glibc's per-thread cache holds
// only seven blocks of a size, fewer than the streams of one batch). Larger blocks go to
// malloc directly. release() gives the cached blocks back (an idle connection keeps none).
// Blocks of kMapMin bytes and more get pages of their own (mmap): nghttp2's 16 KiB outbound
// frame buffer lives as long as the session, and forget() hands its pages back to the kernel
// while the connection idles (they come back zeroed when the next frame is written).
// Loop-thread only; must outlive the nghttp2 session that uses mem().

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>
#include <vector>

namespace gatehouse::http {

class H2Allocator {
 public:
  H2Allocator();
  ~H2Allocator();
  H2Allocator(const H2Allocator&) = delete;
  H2Allocator& operator=(const H2Allocator&) = delete;

  nghttp2_mem* mem() { return &mem_; }
  void release();
  // The contents of the paged block holding `inside` are dead (nghttp2 writes before it
  // reads them again): its pages leave the resident set. No-op for any other pointer.
  void forget(const void* inside);

  // Size classes: multiples of kGranule up to kGranule * kClasses bytes (header included).
  static constexpr size_t kGranule = 64;
  static constexpr size_t kClasses = 16;
  // Free blocks kept per class; more are returned to malloc.
  static constexpr size_t kMaxCached = 64;
  // From this size on a block is mapped pages (nghttp2's frame buffer asks for 16,394 bytes).
  static constexpr size_t kMapMin = 16 * 1024;

 private:
  // Inlined into nghttp2's callbacks: they run several times per stream.
  [[gnu::always_inline]] inline void* allocate(size_t size);
  [[gnu::always_inline]] inline void deallocate(void* p);
  void* reallocate(void* p, size_t size);

  struct FreeBlock {
    FreeBlock* next;
  };
  // A mapped block: the caller's pointer is the mapping's start (no header, so forget()
  // can drop every page); found by address, there are only a few per session.
  struct Mapped {
    char* base;
    size_t length;
    size_t size;  // what the caller asked for
  };
  // Out of line: the per-stream malloc and free paths stay small enough to inline.
  [[gnu::noinline]] void* mapBlock(size_t size);
  [[gnu::noinline]] Mapped* findMapped(const void* p);
  [[gnu::noinline]] void unmap(Mapped* m);

  nghttp2_mem mem_{};
  std::vector<Mapped> mapped_;
  std::array<FreeBlock*, kClasses> free_{};
  std::array<size_t, kClasses> cached_{};
};

}  // namespace gatehouse::http
