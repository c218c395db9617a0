// UpstreamH2Session's life: dialing through its UpstreamConnection, the switch to HTTP/2
// (or the fall-back to HTTP/1.1 when TLS did not select h2), streams joining and leaving,
// sending, and failure. The nghttp2 callbacks live in upstream_h2_callbacks.cpp.
#include "proxy/upstream_h2_session.h"

#include <algorithm>
#include <limits>

#include "proxy/upstream_h2_pool.h"
#include "proxy/upstream_h2_stream.h"

namespace gatehouse::proxy {

namespace {
// Frames are produced while fewer bytes than this wait behind the socket's write.
constexpr size_t kSendHighWater = 64 * 1024;
// Go's assumption until the peer's SETTINGS arrive.
constexpr uint32_t kInitialMaxStreams = 100;
}  // namespace

nghttp2_session* newClientSession(UpstreamH2Session* self);  // upstream_h2_callbacks.cpp

UpstreamH2Session::UpstreamH2Session(H2Sessions& owner, std::unique_ptr<UpstreamConnection> conn,
                                     size_t upstream, H2SessionLimits limits)
    : owner_(owner), conn_(std::move(conn)), upstream_(upstream), limits_(limits) {}

UpstreamH2Session::~UpstreamH2Session() {
  dead_ = true;  // nothing to reap: the pool is freeing this session
  fail(UV_ECANCELED, "the proxy's connection pool closed");
  if (ng_ != nullptr) {
    nghttp2_session_del(ng_);
  }
}

int UpstreamH2Session::connect(const UpstreamAddress& address, const DialOptions& options) {
  const int rc = conn_->connect(*this, address, options);
  if (rc != 0) {
    dead_ = true;
  }
  return rc;
}

bool UpstreamH2Session::usable() const {
  if (dead_ || goaway_ || retired_ || (!limits_.shareable && served_)) {
    return false;
  }
  uint32_t limit = kInitialMaxStreams;
  if (ng_ != nullptr) {
    limit = nghttp2_session_get_remote_settings(ng_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  }
  return streams_.size() < limit;
}

void UpstreamH2Session::join(UpstreamH2Stream& s) {
  s.reused_ = connected() && served_;
  served_ = true;
  streams_.push_back(&s);
  if (conn_) {
    conn_->permit().setIdle(false);
  }
  updateLoopHold();
}

const std::string& UpstreamH2Session::limitKey() const {
  static const std::string none;
  return conn_ && conn_->permit() ? conn_->permit().key() : none;
}

void UpstreamH2Session::leave(UpstreamH2Stream& s) {
  std::erase(streams_, &s);
  std::erase(written_, &s);
  if (streams_.empty()) {
    idleSince_ = uv_now(owner_.loop());
    updateLoopHold();
    if (conn_) {
      conn_->permit().setIdle(true);
    }
    if (!usable()) {
      owner_.scheduleReap();
    }
  }
  owner_.roomIn(upstream_, limitKey());
}

// An idle session must not keep a stopping worker's loop alive.
void UpstreamH2Session::updateLoopHold() {
  const bool hold = !streams_.empty();
  if (hold != holding_ && conn_) {
    holding_ = hold;
    conn_->holdLoop(hold);
  }
}

void UpstreamH2Session::onUpstreamConnected() {
  if (conn_->alpn() != "h2" && !conn_->alpn().empty()) {
    fallBack();
    return;
  }
  // Cleartext (h2c with prior knowledge), or TLS that selected h2. TLS without ALPN at
  // all: Go speaks HTTP/1.1 then.
  if (conn_->alpn().empty() && conn_->tlsActive()) {
    fallBack();
    return;
  }
  if (!startNghttp2()) {
    fail(UV_EPROTO, "cannot start an HTTP/2 session");
    return;
  }
  // Streams that joined while dialing go now; each may leave (or fail) while told.
  std::vector<UpstreamH2Stream*> waiting = streams_;
  for (UpstreamH2Stream* s : waiting) {
    if (std::find(streams_.begin(), streams_.end(), s) != streams_.end() && !dead_) {
      s->listener().onUpstreamConnected();
    }
  }
  flush();
}

bool UpstreamH2Session::startNghttp2() {
  ng_ = newClientSession(this);
  if (ng_ == nullptr) {
    return false;
  }
  const auto window =
      static_cast<uint32_t>(std::min<size_t>(limits_.streamWindow, std::numeric_limits<int32_t>::max()));
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
  };
  if (nghttp2_submit_settings(ng_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) {
    return false;
  }
  // The connection's window never limits: each stream's window bounds its own bytes, and a
  // slow client must not stall the others.
  if (nghttp2_session_set_local_window_size(ng_, NGHTTP2_FLAG_NONE, 0, std::numeric_limits<int32_t>::max()) !=
      0) {
    return false;
  }
  conn_->startFrames();
  conn_->resumeReading();
  return true;
}

// TLS selected HTTP/1.1: the first waiting request takes the connection as it is, the
// others try again (the pool now knows this upstream speaks HTTP/1.1 only).
void UpstreamH2Session::fallBack() {
  dead_ = true;
  std::unique_ptr<UpstreamConnection> conn = std::move(conn_);
  while (!streams_.empty()) {
    UpstreamH2Stream* s = streams_.front();
    streams_.erase(streams_.begin());
    s->session_ = nullptr;
    s->listener().onUpstreamFallback(std::move(conn));  // nullptr after the first
  }
  conn_ = std::move(conn);  // nobody took it: freed with the session, outside its callback
  owner_.scheduleReap();
}

void UpstreamH2Session::onUpstreamError(int uvError) {
  fail(uvError, conn_ ? conn_->failure() : std::string());
}

void UpstreamH2Session::onUpstreamTunnelData(std::string_view data) {
  if (ng_ == nullptr || dead_) {
    return;
  }
  busy_ = true;
  const ssize_t rc =
      nghttp2_session_mem_recv(ng_, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  busy_ = false;
  if (rc < 0) {
    fail(UV_EPROTO, std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(rc)));
    return;
  }
  flush();
}

void UpstreamH2Session::flush() {
  if (busy_) {
    flushAgain_ = true;
    return;
  }
  if (ng_ == nullptr || dead_ || !conn_) {
    return;
  }
  busy_ = true;
  do {
    flushAgain_ = false;
    while (conn_->queuedBytes() < kSendHighWater && !dead_) {
      const uint8_t* out = nullptr;
      const ssize_t n = nghttp2_session_mem_send(ng_, &out);
      if (n < 0) {
        busy_ = false;
        fail(UV_EPROTO, std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(n)));
        return;
      }
      if (n == 0) {
        break;
      }
      conn_->write(std::string_view(reinterpret_cast<const char*>(out), static_cast<size_t>(n)));
    }
    busy_ = false;
    notifyWritten();  // may submit more (the next body piece): go round again
    busy_ = true;
  } while (flushAgain_ && !dead_);
  busy_ = false;
  if (!dead_ && nghttp2_session_want_read(ng_) == 0 && nghttp2_session_want_write(ng_) == 0) {
    fail(UV_EOF, "HTTP/2 session ended");  // both sides sent GOAWAY and nothing is left
  }
}

void UpstreamH2Session::notifyWritten() {
  std::vector<UpstreamH2Stream*> ready = std::move(written_);
  written_.clear();
  for (UpstreamH2Stream* s : ready) {
    if (std::find(streams_.begin(), streams_.end(), s) != streams_.end() && s->takeWrittenNotice()) {
      s->listener().onUpstreamWritten();
    }
  }
}

// The connection is gone: every stream still on it ends (broken, or retried by its owner
// when it never reached the upstream).
void UpstreamH2Session::fail(int uvError, std::string why) {
  const bool first = !dead_;
  dead_ = true;
  if (why.empty()) {
    why = uv_strerror(uvError);
  }
  written_.clear();
  // One at a time: a stream's owner may destroy another stream of this session.
  while (!streams_.empty()) {
    UpstreamH2Stream* s = streams_.back();
    streams_.pop_back();
    s->onSessionGone(uvError, why);
  }
  if (first) {
    owner_.scheduleReap();
  }
}

UpstreamH2Stream* UpstreamH2Session::streamOf(int32_t id) {
  if (ng_ == nullptr) {
    return nullptr;
  }
  return static_cast<UpstreamH2Stream*>(nghttp2_session_get_stream_user_data(ng_, id));
}

}  // namespace gatehouse::proxy
