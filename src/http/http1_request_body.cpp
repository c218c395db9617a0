// Request-body streaming of an HTTP/1.1 session: parsed body bytes go to the exchange's
// RequestBody, reading stops while its buffer is full, and an unread body after the
// response is discarded up to kDiscardLimit.
#include "http/http1_session.h"

namespace gatehouse::http {

// Reading goes on while a paused exchange is served (so a client that leaves is noticed),
// but stops when a buffer reaches its limit: bounded memory, back-pressure on the client.
void Http1Session::updateReading() {
  if (closed_) {
    return;
  }
  bool want = pending_.size() < kPendingLimit;
  if (tunnel_) {
    want = !tunnelReadPaused_ && pending_.empty();
  } else if (inExchange_ && !responseDone_ && (body_.full() || body_.failed())) {
    want = false;
  }
  bodyPaused_ = !want;
  if (want) {
    transport_.resumeReading();
  } else {
    transport_.pauseReading();
  }
}

// After a response head went out from a resume: finish the exchange if nothing is left.
void Http1Session::afterResponse() {
  if (closed_ || tunnel_ || !responseDone_) {
    return;
  }
  if (requestDone_) {
    completeExchange();
    if (!closed_ && paused_) {
      resumeParsing();
    }
    return;
  }
  if (closing_) {
    completeExchange();  // the unread body is not worth reading (see kDiscardLimit)
    return;
  }
  discard(body_.discardBuffered());
  updateReading();
}

// Unread request body after the response: read on and drop it, up to kDiscardLimit.
bool Http1Session::discard(size_t n) {
  if (n <= discardLeft_) {
    discardLeft_ -= n;
    return true;
  }
  closing_ = true;
  completeExchange();
  return false;
}

int Http1Session::onBody(llhttp_t* p, const char* at, size_t len) {
  auto& s = self(p);
  if (s.responseDone_) {
    return s.discard(len) ? 0 : -1;
  }
  if (s.body_.failed()) {
    return 0;  // reading stops (updateReading) until the handler has answered
  }
  if (!s.body_.append(std::string_view(at, len)) && !s.body_.limitUnseen()) {
    // Over request_body max_size: the reader gets UV_E2BIG; the rest is not worth reading.
    s.closing_ = true;
  }
  return 0;
}
}  // namespace gatehouse::http
