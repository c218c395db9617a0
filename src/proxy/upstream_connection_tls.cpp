// UpstreamConnection's TLS layer: the client handshake after TCP connects, decryption of
// what the socket reads before llhttp sees it, and session caching for resumption.

#include "proxy/upstream_connection.h"
#include "proxy/upstream_tls.h"

namespace gatehouse::proxy {

// ALPN is offered only when the dial options name protocols (TransportConfig::dialOptions).
void UpstreamConnection::startTls() {
  tls_ = std::make_unique<UpstreamTlsStream>(options_.tls->newSsl(host_, dial_, options_.alpn));
  if (!tls_->valid()) {
    failure_ = "TLS: cannot set up a client session for " + (host_.empty() ? dial_ : host_);
    fail(UV_EPROTO);
    return;
  }
  if (const auto timeout = options_.tls->handshakeTimeout(); timeout.count() > 0) {
    uv_timer_init(loop_, handshakeTimer_.create());
    handshakeTimer_.get()->data = this;
    uv_timer_start(
        handshakeTimer_.get(),
        [](uv_timer_t* t) {
          auto* self = static_cast<UpstreamConnection*>(t->data);
          if (self != nullptr && !self->dead_) {
            self->failure_ = "TLS handshake timeout";
            self->fail(UV_ETIMEDOUT);
          }
        },
        static_cast<uint64_t>(timeout.count()), 0);
  }
  tls_->handshake();  // writes the ClientHello
  flushTls();
  resumeReading();
}

void UpstreamConnection::flushTls() {
  tls_->takeOutput(queued_);
  if (!writing_ && !queued_.empty()) {
    startWrite();
  }
}

void UpstreamConnection::onCipher(const char* data, size_t len) {
  tls_->pushCipher(data, len);
  if (!tls_->established()) {
    const auto st = tls_->handshake();
    flushTls();
    if (st == UpstreamTlsStream::Status::Failed || st == UpstreamTlsStream::Status::Closed) {
      failure_ = "TLS handshake with " + dial_ + ": " + tls_->error();
      fail(UV_EPROTO);
      return;
    }
    if (st != UpstreamTlsStream::Status::Ok || dead_) {
      return;
    }
    handshakeTimer_.reset();
    options_.tls->rememberSession(dial_, tls_->ssl());  // TLS 1.2: the session is known now
    reportConnected();
    if (dead_) {
      return;
    }
  }
  drainPlain();
}

// Decrypts everything the pushed ciphertext holds and feeds it to the HTTP layer, as the
// cleartext path consumes a whole socket read even when the listener pauses midway.
void UpstreamConnection::drainPlain() {
  char plain[16 * 1024];  // one TLS record
  const bool tunnelAtStart = tunnel_;
  while (!dead_ && box_ != nullptr) {
    size_t n = 0;
    const auto st = tls_->read(plain, sizeof(plain), n);
    if (st == UpstreamTlsStream::Status::Ok) {
      if (!sessionSaved_) {
        sessionSaved_ = true;  // TLS 1.3 tickets arrive before the first response bytes
        options_.tls->rememberSession(dial_, tls_->ssl());
      }
      if (listener_ == nullptr) {
        die();  // parked: bytes nobody asked for
        return;
      }
      if (tunnel_ && (!tunnelAtStart || !leftover_.empty())) {
        leftover_.append(plain, n);  // after the 101: the listener takes them on resume
        continue;
      }
      consume(plain, n);
      continue;
    }
    flushTls();  // a read may answer a key update
    if (st == UpstreamTlsStream::Status::WantMore) {
      return;
    }
    if (listener_ == nullptr) {
      die();
      return;
    }
    if (st == UpstreamTlsStream::Status::Closed) {
      onReadEof();
      return;
    }
    failure_ = "TLS read from " + dial_ + ": " + tls_->error();
    fail(UV_EPROTO);
    return;
  }
}

}  // namespace gatehouse::proxy
