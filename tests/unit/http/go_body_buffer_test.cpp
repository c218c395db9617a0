// Go's bufio.Writer arithmetic behind the HTTP/2 response buffer (src/http/go_body_buffer.h).
#include "http/go_body_buffer.h"

#include <catch2/catch.hpp>

using gatehouse::http::goBufferHeldAfter;

TEST_CASE("go body buffer: what a 4096-byte bufio.Writer holds after a write") {
  constexpr size_t kSize = 4096;
  CHECK(goBufferHeldAfter(0, 100, kSize) == 100);     // fits: held
  CHECK(goBufferHeldAfter(4000, 96, kSize) == 4096);  // fills it exactly: still held
  CHECK(goBufferHeldAfter(4000, 100, kSize) == 4);    // overflows: 4096 out, the rest held
  CHECK(goBufferHeldAfter(4096, 1, kSize) == 1);
  CHECK(goBufferHeldAfter(0, 5000, kSize) == 0);       // larger than an empty buffer: through at once
  CHECK(goBufferHeldAfter(100, 10000, kSize) == 0);    // fills, goes, the rest straight through
  CHECK(goBufferHeldAfter(100, 8092, kSize) == 4096);  // fills, goes, the rest fills it again
  CHECK(goBufferHeldAfter(0, 0, kSize) == 0);
}
