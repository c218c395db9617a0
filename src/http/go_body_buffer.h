#pragma once
// Go's net/http buffers what a handler writes (2048 bytes on HTTP/1, 4096 on HTTP/2) and
// gives the response a Content-Length of its own only when the whole body fit in that
// buffer before the handler returned. A longer body from a handler that set no
// Content-Length (Caddy's `respond`, browse listings, encode's output, a precompressed
// sidecar) goes out chunked on HTTP/1.1, ended by closing on HTTP/1.0, and without a
// content-length on HTTP/2; a HEAD answer of that kind carries no framing field at all.

#include <cstddef>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::http {

inline constexpr size_t kGoHttp1BodyBuffer = 2048;  // net/http bufferBeforeChunkingSize
inline constexpr size_t kGoHttp2BodyBuffer = 4096;  // http2 handlerChunkWriteSize

// True when Go would send this whole (buffered) body without a length.
inline bool goSendsWithoutLength(const runtime::Response& res, size_t buffer) {
  return !res.stream && res.body.size() > buffer && !res.headers.has("Content-Length");
}

// A streamed body Go's server would buffer before its head goes out: no length yet, and
// nothing flushes it (res.sniff still true: a FastCGI body, encode's output over one). The
// head waits until the body passes the buffer, or ends within it and gets a Content-Length.
inline bool goBuffersStream(const runtime::Response& res) {
  return res.stream && res.streamLength == runtime::Response::kUnknownLength && res.sniff && !res.headAtOnce;
}

// Go's bufio.Writer of `size` bytes, holding `held` of them, given `len` more: how many it
// holds after. A write that does not fit fills the buffer, which goes out, and the rest is
// held; one that does not fit an empty buffer goes out at once, all of it.
inline size_t goBufferHeldAfter(size_t held, size_t len, size_t size) {
  while (len > size - held) {
    if (held == 0) {
      return 0;
    }
    len -= size - held;
    held = 0;
  }
  return held + len;
}

}  // namespace gatehouse::http
