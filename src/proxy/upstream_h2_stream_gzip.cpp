// UpstreamH2Stream's transparent gzip, as Go's HTTP/2 transport does it (Caddy's default
// for h2 and h2c upstreams alike): the proxy asked for gzip on the client's behalf, so a
// `content-encoding: gzip` answer with a body is decoded on the way (Content-Encoding and
// Content-Length removed). Decoding stops while the client is full; the compressed rest
// waits within the stream's window, which reopens only by the bytes decoded, so a gzip
// bomb never sits in memory whole.
#include "proxy/upstream_h2_session.h"
#include "proxy/upstream_h2_stream.h"

namespace gatehouse::proxy {

// Go decides on the final head: not for HEAD, nor for a head that ends the stream.
void UpstreamH2Stream::startGzip(bool endStream) {
  if (!decodeGzip_ || headRequest_ || endStream ||
      !runtime::equalsIgnoreCase(head_.headers.get("content-encoding"), "gzip")) {
    return;
  }
  head_.headers.remove("content-encoding");
  head_.headers.remove("content-length");
  head_.hasLength = false;
  head_.length = 0;
  gunzip_ = std::make_unique<GzipInflater>();
}

void UpstreamH2Stream::inflate(std::string_view data) {
  const auto used = gunzip_->feed(data, [this](std::string_view plain) {
    if (broken_) {
      return false;
    }
    listener_.onUpstreamBody(plain);
    return !paused_;
  });
  if (!used) {
    broken_ = true;
    failure_ = "gzip: invalid data";
    listener_.onUpstreamError(UV_EPROTO);  // the client's response breaks; the owner resets us
    return;
  }
  reopen(*used);
  if (*used < data.size()) {
    gzStash_.append(data.substr(*used));
  }
}

void UpstreamH2Stream::resumeDecoding() {
  paused_ = false;
  if (broken_) {
    return;
  }
  if (gzipBusy()) {
    std::string stash = std::move(gzStash_);
    gzStash_.clear();
    inflate(stash);
    if (broken_ || paused_ || gzipBusy()) {
      return;  // the client is full again, or the answer broke
    }
  }
  if (endPending_) {
    endPending_ = false;
    finishEnd();
  }
}

void UpstreamH2Stream::finishEnd() {
  if (gunzip_ && !gunzip_->complete()) {
    broken_ = true;
    failure_ = "gzip: unexpected EOF";
    listener_.onUpstreamError(UV_EPROTO);  // a truncated body must reach the client as broken
    return;
  }
  listener_.onUpstreamEnd();
}

}  // namespace gatehouse::proxy
