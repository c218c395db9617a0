// Http2Session: the server's write_timeout per stream, as Go's HTTP/2 server applies its
// WriteTimeout. Each stream gets that long from its request head to its end; one still open
// then is reset (RST_STREAM INTERNAL_ERROR, which also ends its handler's work) while the
// connection and its other streams go on. (HTTP/1.1 closes the connection instead.) All
// streams share one timeout and are dispatched in order, so the timer only ever waits for
// the earliest deadline still open.
#include <algorithm>
#include <limits>

#include "http/http2_session.h"

namespace gatehouse::http {

uint64_t Http2Session::writeDeadlineFromNow() {
  const auto timeout = static_cast<uint64_t>(limits_.writeTimeout.count());
  if (timeout == 0 || closed_) {
    return 0;
  }
  if (!writeTimerArmed_) {
    writeTimerArmed_ = true;
    writeTimer_.start(loop(), timeout);
  }
  return uv_now(loop()) + timeout;
}

void Http2Session::onWriteDeadline() {
  writeTimerArmed_ = false;
  if (closed_ || !session_) {
    return;
  }
  const uint64_t now = uv_now(loop());
  uint64_t next = std::numeric_limits<uint64_t>::max();
  for (const auto& s : streams_) {
    if (s->closed || s->writeDeadline == 0) {
      continue;
    }
    if (s->writeDeadline <= now) {
      s->writeDeadline = 0;
      reset(*s, NGHTTP2_INTERNAL_ERROR);
    } else {
      next = std::min(next, s->writeDeadline);
    }
  }
  for (const auto& l : links_) {
    if (l->isClosed() || l->writeDeadline == 0) {
      continue;
    }
    if (l->writeDeadline <= now) {
      l->writeDeadline = 0;
      nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, l->id(), NGHTTP2_INTERNAL_ERROR);
    } else {
      next = std::min(next, l->writeDeadline);
    }
  }
  if (next != std::numeric_limits<uint64_t>::max()) {
    writeTimerArmed_ = true;
    writeTimer_.start(loop(), next - now);
  }
  pump();
  reap();
}

}  // namespace gatehouse::http
