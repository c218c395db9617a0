#include "http/h2_tunnel_link.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "http/http2_session.h"

namespace gatehouse::http {

H2TunnelLink::~H2TunnelLink() {
  relay_.reset();  // first: it may record the exchange, reading sent_
}

size_t H2TunnelLink::deliver() {
  if (!wantsDelivery() || !relay_) {
    return 0;
  }
  size_t taken = 0;
  if (!in_.empty()) {
    const std::string piece = std::exchange(in_, std::string());
    taken = piece.size();
    relay_->onData(piece.data(), piece.size());
  }
  // The EOF only behind every byte the relay took (it pauses while its upstream lags).
  if (!paused_ && !closed_ && in_.empty() && inEof_ && !eofDelivered_) {
    eofDelivered_ = true;
    relay_->onEof();
  }
  return taken;
}

ssize_t H2TunnelLink::readBody(uint8_t* buf, size_t len, uint32_t* flags) {
  const size_t n = std::min(len, out_.size() - outOffset_);
  if (n > 0) {
    std::memcpy(buf, out_.data() + outOffset_, n);
    outOffset_ += n;
    sent_ += n;
  }
  if (outOffset_ < out_.size()) {
    return static_cast<ssize_t>(n);
  }
  if (!out_.empty()) {
    // Everything written is in frames: the buffer goes (an idle tunnel keeps none; the
    // relay's next write brings its own), and the relay may read its upstream again.
    std::string().swap(out_);
    outOffset_ = 0;
    drainNotify_ = true;
  }
  if (outEof_) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};
}

void H2TunnelLink::notifyDrained() {
  drainNotify_ = false;
  if (relay_ && !closed_ && !closing_) {
    relay_->onDrained();
  }
}

void H2TunnelLink::trim() {
  if (relay_ && !closed_) {
    relay_->trim();
  }
}

void H2TunnelLink::write(std::string& bytes) {
  if (closed_ || closing_ || outEof_ || bytes.empty()) {
    bytes.clear();
    return;
  }
  if (out_.empty()) {
    out_.swap(bytes);  // the relay's buffer becomes ours: no copy
  } else {
    out_.append(bytes);
  }
  bytes.clear();
  if (started_) {
    session_.linkOutput(*this);
  }
}

void H2TunnelLink::shutdownWrite() {
  if (closed_ || closing_ || outEof_) {
    return;
  }
  outEof_ = true;
  if (started_) {
    session_.linkOutput(*this);
  }
}

void H2TunnelLink::close(bool abort) {
  if (closed_ || closing_) {
    return;
  }
  closing_ = true;
  if (!abort) {
    // What was written still goes, then END_STREAM, then a reset if the client still sends.
    outEof_ = true;
    resetAfterEnd_ = true;
  }
  if (started_) {
    session_.linkClose(*this, abort);
  }  // else the session closes the stream once it made this link the stream's
}

void H2TunnelLink::resumeReading() {
  paused_ = false;
  if (started_ && wantsDelivery()) {
    session_.linkWantsInbound(*this);
  }
}

void H2TunnelLink::quiet(bool /*sessionTrims*/) {
  if (started_ && !closed_) {
    session_.linkQuiet();
  }
}

uv_loop_t* H2TunnelLink::loop() {
  return session_.loop();
}

runtime::WorkerState& H2TunnelLink::worker() {
  return session_.worker();
}

}  // namespace gatehouse::http
