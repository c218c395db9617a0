// TunnelRelay's TLS layer for an https:// upstream: the SSL object the upstream connection
// shook hands with, taken over mid-stream on its memory BIOs. Ciphertext the socket reads
// is decrypted for the client; the client's bytes are encrypted for the socket; a quiet
// tunnel gives OpenSSL's record buffers back.
#include "proxy/tunnel_relay.h"

namespace gatehouse::proxy {

void TunnelRelay::fromUpstreamTls(const char* data, size_t len) {
  UpstreamTlsStream& tls = *setup_.tls;
  tls.pushCipher(data, len);
  // The whole read is decrypted even when the client fills up midway (as a cleartext read
  // is passed on whole): what the client cannot take yet waits in its write queue.
  char plain[16 * 1024];  // one TLS record
  for (;;) {
    size_t n = 0;
    const auto st = tls.read(plain, sizeof(plain), n);
    if (st == UpstreamTlsStream::Status::Ok) {
      toClient(plain, n);
      if (finished_) {
        return;
      }
      continue;
    }
    if (st == UpstreamTlsStream::Status::Failed) {
      finish(true);  // a broken record: the tunnel cannot go on
      return;
    }
    flushTlsOutput();  // a read may answer a key update
    if (st == UpstreamTlsStream::Status::Closed) {
      upstreamEnded();  // close_notify: the upstream's half-close
    }
    break;
  }
  if (!finished_) {
    tls.shrinkInput();
  }
}

void TunnelRelay::toUpstreamTls(const char* data, size_t len) {
  if (!setup_.tls->write(std::string_view(data, len))) {
    finish(true);
    return;
  }
  flushTlsOutput();
}

void TunnelRelay::closeNotifyUpstream() {
  setup_.tls->closeNotify();
  flushTlsOutput();
}

void TunnelRelay::flushTlsOutput() {
  std::string cipher;
  setup_.tls->takeOutput(cipher);
  if (!cipher.empty()) {
    sendUpstream(cipher.data(), cipher.size());
  }
}

void TunnelRelay::trim() {
  if (setup_.tls && !finished_) {
    setup_.tls->releaseIdleBuffers();  // only what is empty: a half-done record keeps them
  }
}

}  // namespace gatehouse::proxy
