#include "proxy/upstream_h2_stream.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

#include "proxy/upstream_h2_session.h"

namespace gatehouse::proxy {

nghttp2_data_source_read_callback h2BodyReader();  // upstream_h2_callbacks.cpp

namespace {

nghttp2_nv field(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

UpstreamH2Stream::UpstreamH2Stream(UpstreamH2Session& session, H2StreamListener& listener)
    : session_(&session), listener_(listener) {
  session.join(*this);
}

// An unfinished stream is reset, so the upstream stops working on it (an LLM stops
// generating); a finished one only leaves.
UpstreamH2Stream::~UpstreamH2Stream() {
  if (alive_ != nullptr) {
    *alive_ = false;
  }
  if (session_ == nullptr) {
    return;
  }
  nghttp2_session* ng = session_->ng();
  if (ng != nullptr && id_ > 0 && !closed_) {
    nghttp2_session_set_stream_user_data(ng, id_, nullptr);
    // Both sides ended: nghttp2 closes the stream by itself (no reset for a finished one).
    if (!(ended_ && requestDone_)) {
      nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
    }
  }
  if (ng != nullptr && unconsumed_ > 0) {
    nghttp2_session_consume_connection(ng, unconsumed_);  // bytes no client will take
  }
  UpstreamH2Session* s = session_;
  session_ = nullptr;
  s->leave(*this);
  s->flush();
}

bool UpstreamH2Stream::connected() const {
  return session_ != nullptr && session_->connected();
}

void UpstreamH2Stream::submit(const H2RequestHead& head, bool headRequest, bool decodeGzip) {
  headRequest_ = headRequest;
  decodeGzip_ = decodeGzip;
  nghttp2_session* ng = session_ != nullptr ? session_->ng() : nullptr;
  if (ng == nullptr) {
    failSubmit(UV_ECONNRESET, "HTTP/2 session not connected");
    return;
  }
  std::vector<nghttp2_nv> nv;
  nv.reserve(head.fields.size() + 4);
  nv.push_back(field(":method", head.method));
  nv.push_back(field(":scheme", head.scheme));
  nv.push_back(field(":authority", head.authority));
  nv.push_back(field(":path", head.path));
  for (const auto& f : head.fields) {
    nv.push_back(field(f.name, f.value));
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = h2BodyReader();
  const int32_t id =
      nghttp2_submit_request(ng, nullptr, nv.data(), nv.size(), head.body ? &provider : nullptr, this);
  if (id < 0) {
    failSubmit(UV_EPROTO, std::string("HTTP/2: ") + nghttp2_strerror(id));
    return;
  }
  id_ = id;
  requestDone_ = !head.body;
  session_->flush();
}

void UpstreamH2Stream::failSubmit(int uvError, std::string why) {
  UpstreamH2Session* s = session_;
  session_ = nullptr;
  if (s != nullptr) {
    s->leave(*this);
  }
  closed_ = true;
  failure_ = std::move(why);
  listener_.onUpstreamError(uvError);
}

void UpstreamH2Stream::sendBody(std::string_view data, bool eof) {
  if (session_ == nullptr || closed_) {
    return;
  }
  if (data.empty() && !eof) {
    wroteAll_ = true;  // nothing to send: the owner may pull again at once
    session_->markWritten(*this);
    session_->flush();
    return;
  }
  if (pendingAt_ == pending_.size()) {
    pending_.clear();
    pendingAt_ = 0;
  }
  pending_.append(data);
  bodyEof_ = eof;
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(session_->ng(), id_);
  }
  session_->flush();
}

ssize_t UpstreamH2Stream::readBody(uint8_t* buf, size_t length, uint32_t* flags) {
  const size_t n = std::min(length, pending_.size() - pendingAt_);
  std::memcpy(buf, pending_.data() + pendingAt_, n);
  pendingAt_ += n;
  if (pendingAt_ == pending_.size()) {
    if (bodyEof_) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      requestDone_ = true;
    } else if (n == 0) {
      deferred_ = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    if (!bodyEof_ && !wroteAll_) {
      wroteAll_ = true;  // the owner pulls the next piece once nghttp2 is done
      session_->markWritten(*this);
    }
  }
  return static_cast<ssize_t>(n);
}

void UpstreamH2Stream::onData(std::string_view data) {
  unconsumed_ += data.size();
  if (broken_) {
    return;
  }
  if (!gunzip_) {
    listener_.onUpstreamBody(data);
    return;
  }
  if (paused_ || gzipBusy()) {
    gzStash_.append(data);  // behind what waits already
    return;
  }
  inflate(data);
}

void UpstreamH2Stream::consumed(size_t n) {
  if (gunzip_) {
    resumeDecoding();  // its window reopens by compressed bytes, as they are decoded
    return;
  }
  reopen(n);
}

// A closed stream's bytes still count against the connection's window.
void UpstreamH2Stream::reopen(size_t n) {
  n = std::min(n, unconsumed_);
  if (session_ == nullptr || session_->ng() == nullptr || n == 0) {
    return;
  }
  unconsumed_ -= n;
  if (closed_) {
    nghttp2_session_consume_connection(session_->ng(), n);
  } else {
    nghttp2_session_consume(session_->ng(), id_, n);
  }
  session_->flush();
}

void UpstreamH2Stream::onHeader(std::string_view name, std::string_view value) {
  if (headDone_) {
    if (!name.empty() && name.front() != ':') {
      listener_.onUpstreamTrailer(name, value);  // trailers (Go's Response.Trailer)
    }
    return;
  }
  if (name == ":status") {
    int status = 0;
    std::from_chars(value.data(), value.data() + value.size(), status);
    head_.status = status;
    return;
  }
  if (!name.empty() && name.front() == ':') {
    return;
  }
  if (name == "content-length") {
    uint64_t len = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), len);
    if (r.ec == std::errc() && r.ptr == value.data() + value.size()) {
      head_.hasLength = true;
      head_.length = len;
    }
  }
  head_.headers.emplaceBack(std::string(name), std::string(value));
}

void UpstreamH2Stream::onHeadersDone(bool endStream) {
  if (headDone_) {
    if (endStream) {
      onEndStream();  // after trailers
    }
    return;
  }
  bool alive = true;
  alive_ = &alive;
  if (head_.status >= 100 && head_.status < 200) {
    listener_.onUpstreamInformational(head_);
    if (alive) {
      alive_ = nullptr;
      head_ = ResponseHead();
    }
    return;
  }
  headDone_ = true;
  head_.versionMinor = 0;
  head_.trailerCapable = true;
  startGzip(endStream);
  listener_.onUpstreamHead(head_);
  if (!alive) {
    return;  // its owner finished with it (a response without a body)
  }
  alive_ = nullptr;
  if (endStream) {
    onEndStream();
  }
}

void UpstreamH2Stream::onEndStream() {
  if (!ended_ && headDone_) {
    ended_ = true;
    if (gzipBusy()) {
      endPending_ = true;  // told once the stash is decoded (resumeDecoding)
      return;
    }
    finishEnd();
  }
}

void UpstreamH2Stream::onClosed(uint32_t errorCode) {
  closed_ = true;
  if (ended_ || broken_) {
    return;
  }
  // REFUSED_STREAM, also what nghttp2 reports for streams a GOAWAY left out: never processed.
  unprocessed_ = errorCode == NGHTTP2_REFUSED_STREAM && !headDone_;
  if (failure_.empty()) {
    failure_ = std::string("HTTP/2 stream reset by the upstream: ") + nghttp2_http2_strerror(errorCode);
  }
  listener_.onUpstreamError(UV_ECONNRESET);
}

void UpstreamH2Stream::onSessionGone(int uvError, std::string why) {
  if (session_ == nullptr && closed_) {
    return;
  }
  session_ = nullptr;
  const bool wasOpen = !closed_;
  closed_ = true;
  if (ended_ || !wasOpen || broken_) {
    return;
  }
  if (failure_.empty()) {
    failure_ = std::move(why);
  }
  listener_.onUpstreamError(uvError);
}

}  // namespace gatehouse::proxy
