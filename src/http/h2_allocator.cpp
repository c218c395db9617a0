#include "http/h2_allocator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace gatehouse::http {

namespace {
// Each block starts with its class (kLarge: from malloc at its own size), padded so the
// caller's part keeps malloc's 16-byte alignment.
constexpr size_t kHeader = 16;
constexpr size_t kLarge = H2Allocator::kClasses;
// Bytes of free blocks kept per class (so at most 64 KiB per busy session in all): a batch of
// a few dozen streams reuses its blocks, a burst of hundreds gives the rest back to malloc.
constexpr size_t kCachedBytesPerClass = 4096;

size_t& classOf(void* user) {
  return *reinterpret_cast<size_t*>(static_cast<char*>(user) - kHeader);
}
size_t usable(size_t cls) {
  return (cls + 1) * H2Allocator::kGranule - kHeader;
}
size_t pageSize() {
  static const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}
size_t pageRounded(size_t size) {
  return (size + pageSize() - 1) / pageSize() * pageSize();
}
// Mapped blocks start on a page (4 KiB at least); most malloc'd ones do not, so frees skip
// the search with one test of a constant mask.
constexpr uintptr_t kMinPageMask = 4096 - 1;
bool maybeMapped(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & kMinPageMask) == 0;
}
}  // namespace

H2Allocator::H2Allocator() {
  mem_.mem_user_data = this;
  mem_.malloc = [](size_t size, void* self) { return static_cast<H2Allocator*>(self)->allocate(size); };
  mem_.free = [](void* p, void* self) { static_cast<H2Allocator*>(self)->deallocate(p); };
  mem_.calloc = [](size_t n, size_t size, void* self) -> void* {
    if (size != 0 && n > (SIZE_MAX - kHeader) / size) {
      return nullptr;
    }
    void* p = static_cast<H2Allocator*>(self)->allocate(n * size);
    if (p != nullptr) {
      std::memset(p, 0, n * size);
    }
    return p;
  };
  mem_.realloc = [](void* p, size_t size, void* self) {
    return static_cast<H2Allocator*>(self)->reallocate(p, size);
  };
}

H2Allocator::~H2Allocator() {
  release();
  while (!mapped_.empty()) {  // nghttp2 freed them all already; this is a safety net
    unmap(&mapped_.back());
  }
}

void* H2Allocator::mapBlock(size_t size) {
  const size_t length = pageRounded(size);
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    return nullptr;
  }
  mapped_.push_back({static_cast<char*>(base), length, size});
  return base;
}

H2Allocator::Mapped* H2Allocator::findMapped(const void* p) {
  const auto* c = static_cast<const char*>(p);
  for (auto& m : mapped_) {
    if (c >= m.base && c < m.base + m.length) {
      return &m;
    }
  }
  return nullptr;
}

void H2Allocator::unmap(Mapped* m) {
  munmap(m->base, m->length);
  *m = mapped_.back();
  mapped_.pop_back();
}

void H2Allocator::forget(const void* inside) {
  if (Mapped* m = inside != nullptr ? findMapped(inside) : nullptr) {
    madvise(m->base, m->length, MADV_DONTNEED);  // private anonymous: reads back as zeros
  }
}

void H2Allocator::release() {
  for (size_t c = 0; c < kClasses; ++c) {
    while (FreeBlock* b = free_[c]) {
      free_[c] = b->next;
      std::free(b);  // NOLINT(cppcoreguidelines-no-malloc): nghttp2's allocator
    }
    cached_[c] = 0;
  }
}

void* H2Allocator::allocate(size_t size) {
  if (size > SIZE_MAX - kHeader) {
    return nullptr;
  }
  if (size >= kMapMin) {
    if (void* p = mapBlock(size)) {
      return p;
    }
    // No mapping (vm.max_map_count reached, say): malloc's, which forget() leaves alone.
  }
  const size_t cls = (size + kHeader + kGranule - 1) / kGranule - 1;
  char* block = nullptr;
  if (cls < kClasses && free_[cls] != nullptr) {
    FreeBlock* b = free_[cls];
    free_[cls] = b->next;
    --cached_[cls];
    block = reinterpret_cast<char*>(b);
  } else {
    const size_t bytes = cls < kClasses ? (cls + 1) * kGranule : size + kHeader;
    block = static_cast<char*>(std::malloc(bytes));  // NOLINT(cppcoreguidelines-no-malloc)
    if (block == nullptr) {
      return nullptr;
    }
  }
  *reinterpret_cast<size_t*>(block) = std::min(cls, kLarge);
  return block + kHeader;
}

void H2Allocator::deallocate(void* p) {
  if (p == nullptr) {
    return;
  }
  if (Mapped* m = maybeMapped(p) ? findMapped(p) : nullptr) {
    unmap(m);
    return;
  }
  const size_t cls = classOf(p);
  char* block = static_cast<char*>(p) - kHeader;
  if (cls < kClasses && cached_[cls] < std::min(kMaxCached, kCachedBytesPerClass / ((cls + 1) * kGranule))) {
    auto* b = reinterpret_cast<FreeBlock*>(block);
    b->next = free_[cls];
    free_[cls] = b;
    ++cached_[cls];
    return;
  }
  std::free(block);  // NOLINT(cppcoreguidelines-no-malloc)
}

void* H2Allocator::reallocate(void* p, size_t size) {
  if (p == nullptr) {
    return allocate(size);
  }
  if (Mapped* m = maybeMapped(p) ? findMapped(p) : nullptr) {
    if (size <= m->length) {
      m->size = size;
      return p;  // still fits its pages
    }
    void* next = allocate(size);
    if (next != nullptr) {
      std::memcpy(next, p, findMapped(p)->size);  // allocate() may have moved mapped_'s entries
      deallocate(p);
    }
    return next;
  }
  const size_t cls = classOf(p);
  if (cls < kClasses && size <= usable(cls)) {
    return p;  // still fits its block
  }
  if (cls == kLarge) {
    if (size > SIZE_MAX - kHeader) {
      return nullptr;
    }
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc)
    char* block = static_cast<char*>(std::realloc(static_cast<char*>(p) - kHeader, size + kHeader));
    return block == nullptr ? nullptr : block + kHeader;
  }
  void* next = allocate(size);
  if (next == nullptr) {
    return nullptr;
  }
  std::memcpy(next, p, std::min(usable(cls), size));
  deallocate(p);
  return next;
}

}  // namespace gatehouse::http
