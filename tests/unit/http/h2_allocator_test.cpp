// H2Allocator: nghttp2's malloc/calloc/realloc/free through per-size free lists.
#include "http/h2_allocator.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>

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
