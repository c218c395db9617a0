// Http2Session: producing output within the transport's backpressure, pulling response
// bodies, deferred work, and closing the connection when the session is done.
#include <utility>

#include "http/h2_callbacks.h"
#include "http/http2_session.h"

namespace gatehouse::http {

namespace {
// Output is handed to the transport in pieces of this size; once the transport reports
// unsent bytes, nothing more is produced until it drains.
constexpr size_t kWriteChunk = 64 * 1024;
// Response body bytes buffered (or being read) for all streams of a connection together.
// A pull in flight is counted as one typical piece (FileBody reads 256 KiB).
constexpr size_t kBodyBudget = 2 * 1024 * 1024;
constexpr size_t kPieceEstimate = 256 * 1024;
// Closed streams kept for reuse while the connection is busy (trim() drops them).
constexpr size_t kSpareStreams = 16;
}  // namespace

// ---- output ----

void Http2Session::runDeferred() {
  dispatchPushed();
  std::vector<int32_t> ids = std::move(toDeliver_);
  toDeliver_.clear();
  for (int32_t id : ids) {
    if (H2Stream* s = find(id)) {
      deliverInbound(*s);
    } else if (H2TunnelLink* l = findLink(id)) {
      deliverToLink(*l);
    }
  }
  pump();
  reap();
}

void Http2Session::pump() {
  if (closed_ || !session_) {
    return;
  }
  if (pumping_) {
    again_ = true;  // the outer pump runs another round
    return;
  }
  pumping_ = true;
  do {
    again_ = false;
    for (auto [id, n] : std::exchange(toConsume_, {})) {
      if (id == 0) {
        nghttp2_session_consume_connection(session_.get(), n);
      } else {
        nghttp2_session_consume(session_.get(), id, n);
      }
    }
    if (!send()) {
      pumping_ = false;
      fail();
      return;
    }
    startPulls();
    notifyDrains();
  } while (again_ && !closed_);
  pumping_ = false;
  updatePhase();
  maybeClose();
}

bool Http2Session::send() {
  if (backedUp_) {
    return true;
  }
  for (;;) {
    const uint8_t* bytes = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_.get(), &bytes);
    if (n < 0) {
      return false;
    }
    if (n == 0) {
      break;
    }
    frameBuffer_ = bytes;
    const size_t at = out_.size();
    out_.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
    if (!limitAnnounced_) {
      // The first frame out is our SETTINGS: it carries the stream limit we enforce.
      limitAnnounced_ = true;
      Callbacks::announceStreamLimit(out_, at, limits_.maxConcurrentStreams);
    }
    if (out_.size() >= kWriteChunk) {
      transport_.write(out_);
      if (!transport_.drained()) {
        break;
      }
    }
  }
  if (!rawFrames_.empty()) {
    out_.append(rawFrames_);
    rawFrames_.clear();
  }
  if (!out_.empty()) {
    transport_.write(out_);
  }
  if (!transport_.drained()) {
    // A client that does not read its responses gets no more input processed either.
    backedUp_ = true;
    transport_.pauseReading();
  }
  return true;
}

void Http2Session::startPulls() {
  if (toPull_.empty()) {
    return;
  }
  // Each stream holds at most one piece, and all of them together about kBodyBudget, so
  // 250 streams of large files cannot pin 250 pieces of memory at once.
  size_t committed = 0;
  for (const auto& s : streams_) {
    committed += s->outbound.data.size() - s->outbound.offset;
    committed += s->outbound.pullInFlight ? kPieceEstimate : 0;
  }
  std::vector<int32_t> waiting;
  for (int32_t id : std::exchange(toPull_, {})) {
    H2Stream* s = find(id);
    if (s == nullptr || !s->ex.response.stream || s->outbound.pullInFlight || s->outbound.eof ||
        s->outbound.error) {
      continue;
    }
    if (committed >= kBodyBudget || (s->outbound.sniffPending && !windowOpen(*s))) {
      waiting.push_back(id);  // retried on the next pump, once the client took bytes
      continue;
    }
    committed += kPieceEstimate;
    s->outbound.pullInFlight = true;
    s->ex.response.stream->pull(loop(), *s);
  }
  toPull_.insert(toPull_.end(), waiting.begin(), waiting.end());
}

// A head that waits for its body's first bytes (Content-Type sniffing) has no data
// provider yet for nghttp2 to hold back: the client's windows are checked here instead.
bool Http2Session::windowOpen(const H2Stream& s) const {
  return nghttp2_session_get_stream_remote_window_size(session_.get(), s.id) > 0 &&
         nghttp2_session_get_remote_window_size(session_.get()) > 0;
}

void Http2Session::notifyDrains() {
  if (backedUp_) {
    return;  // "drained" means the bytes left: wait for onDrained()
  }
  for (int32_t id : std::exchange(toNotify_, {})) {
    H2Stream* s = find(id);
    if (s == nullptr) {
      if (H2TunnelLink* l = findLink(id); l != nullptr && l->drainNoticeDue()) {
        l->notifyDrained();  // the relay may read its upstream again
      }
      continue;
    }
    if (!s->outbound.drainNotify) {
      continue;
    }
    s->outbound.drainNotify = false;
    if (runtime::TunnelPeer* peer = s->ex.response.tunnel) {
      peer->onClientDrained();
    }
  }
}

void Http2Session::reap() {
  if (pumping_) {
    return;
  }
  for (auto& s : graveyard_) {
    if (spare_.size() < kSpareStreams) {
      s->recycle();
      spare_.push_back(std::move(s));
    }
  }
  graveyard_.clear();
  relayed_.clear();  // drops each handed-over exchange's peer (a ProxyCall)
  deadLinks_.clear();
}

void Http2Session::updatePhase() {
  const bool none = streams_.empty() && links_.empty();
  const Transport::Phase want = none ? Transport::Phase::Idle : Transport::Phase::Streams;
  if (want != phase_ && !closed_) {
    phase_ = want;
    transport_.setPhase(want);  // idle_timeout runs only while no stream is open
  }
}

void Http2Session::maybeClose() {
  if (closed_ || !session_) {
    return;
  }
  const bool wantWrite = nghttp2_session_want_write(session_.get()) != 0;
  const bool finished = !nghttp2_session_want_read(session_.get()) && !wantWrite;
  const bool peerGone = eof_ && streams_.empty() && links_.empty() && !wantWrite;
  if (finished || peerGone) {
    closed_ = true;
    transport_.close(false);  // queued bytes (the GOAWAY) are flushed first
  }
}

void Http2Session::fail() {
  if (!closed_) {
    closed_ = true;
    transport_.close(false);
  }
}

}  // namespace gatehouse::http
