// H2Allocator: nghttp2's malloc/calloc/realloc/free through per-size free lists.
#include "http/h2_allocator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using gatehouse::http::H2Allocator;

TEST_CASE("h2 allocator: freed small blocks are handed out again, aligned") {
  H2Allocator a;
  nghttp2_mem* m = a.mem();
  void* p = m->malloc(40, m->mem_user_data);
  REQUIRE(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % 16 == 0);
  m->free(p, m->mem_user_data);
  void* q = m->malloc(30, m->mem_user_data);  // same size class
  CHECK(q == p);
  m->free(q, m->mem_user_data);
  m->free(nullptr, m->mem_user_data);
}

TEST_CASE("h2 allocator: calloc zeroes, realloc keeps the bytes across classes") {
  H2Allocator a;
  nghttp2_mem* m = a.mem();
  auto* z = static_cast<unsigned char*>(m->calloc(10, 30, m->mem_user_data));
  REQUIRE(z != nullptr);
  bool zero = true;
  for (size_t i = 0; i < 300; ++i) {
    zero = zero && z[i] == 0;
  }
  CHECK(zero);
  std::memset(z, 'a', 300);
  // Into a larger class, then past the largest (malloc's own), then back down.
  auto* r = static_cast<char*>(m->realloc(z, 900, m->mem_user_data));
  REQUIRE(r != nullptr);
  CHECK(std::string(r, 300) == std::string(300, 'a'));
  std::memset(r + 300, 'b', 600);
  r = static_cast<char*>(m->realloc(r, 100000, m->mem_user_data));
  REQUIRE(r != nullptr);
  CHECK(std::string(r, 300) == std::string(300, 'a'));
  CHECK(std::string(r + 300, 600) == std::string(600, 'b'));
  r = static_cast<char*>(m->realloc(r, 200000, m->mem_user_data));
  REQUIRE(r != nullptr);
  CHECK(std::string(r + 300, 600) == std::string(600, 'b'));
  m->free(r, m->mem_user_data);
  void* n = m->realloc(nullptr, 20, m->mem_user_data);
  CHECK(n != nullptr);
  m->free(n, m->mem_user_data);
  a.release();
}

namespace {
// Resident pages of [p, p + len) (mincore): what forget() must give back.
size_t residentPages(void* p, size_t len) {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v((len + page - 1) / page);
  REQUIRE(mincore(p, len, v.data()) == 0);
  size_t n = 0;
  for (unsigned char c : v) {
    n += c & 1U;
  }
  return n;
}
}  // namespace

TEST_CASE("h2 allocator: a frame-buffer-sized block has its own pages, and forget() drops them") {
  H2Allocator a;
  nghttp2_mem* m = a.mem();
  const size_t size = 16394;  // nghttp2's outbound frame buffer
  auto* buf = static_cast<char*>(m->malloc(size, m->mem_user_data));
  REQUIRE(buf != nullptr);
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  CHECK(reinterpret_cast<uintptr_t>(buf) % page == 0);
  std::memset(buf, 'x', size);
  CHECK(residentPages(buf, size) == (size + page - 1) / page);
  a.forget(buf + 100);  // any pointer inside the block
  CHECK(residentPages(buf, size) == 0);
  CHECK(buf[0] == 0);  // contents are gone (zero pages), the block stays usable
  std::memset(buf, 'y', size);
  CHECK(buf[size - 1] == 'y');
  // A small block is not touched by forget().
  auto* small = static_cast<char*>(m->malloc(100, m->mem_user_data));
  std::memset(small, 'z', 100);
  a.forget(small);
  a.forget(nullptr);
  CHECK(std::string(small, 100) == std::string(100, 'z'));
  // realloc of a mapped block keeps its bytes, whether it fits its pages or moves.
  auto* r = static_cast<char*>(m->realloc(buf, size + 100, m->mem_user_data));
  CHECK(r == buf);
  r = static_cast<char*>(m->realloc(r, 4 * size, m->mem_user_data));
  REQUIRE(r != nullptr);
  CHECK(std::string(r, size) == std::string(size, 'y'));
  m->free(r, m->mem_user_data);
  m->free(small, m->mem_user_data);
}
