#include "proxy/upstream_tls_stream.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "proxy/upstream_tls_renegotiation.h"

namespace gatehouse::proxy {

UpstreamTlsStream::UpstreamTlsStream(tls::SslPtr ssl) : ssl_(std::move(ssl)) {
  if (!ssl_) {
    return;
  }
  if (!bio_.attach(ssl_.get())) {
    ssl_.reset();
  }
}

void UpstreamTlsStream::pushCipher(const char* data, size_t len) {
  if (ssl_) {
    bio_.pushCipher(data, len);
  }
}

UpstreamTlsStream::Status UpstreamTlsStream::classify(int rc) {
  switch (SSL_get_error(ssl_.get(), rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Status::WantMore;
    case SSL_ERROR_ZERO_RETURN:
      return Status::Closed;
    default:
      break;
  }
  failed_ = true;
  const long verify = SSL_get_verify_result(ssl_.get());
  const unsigned long e = ERR_peek_error();
  if (!established_ && verify != X509_V_OK) {
    error_ = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  } else if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    error_ = buf;
  } else {
    error_ = established_ ? "TLS connection broken" : "TLS handshake failed";
  }
  ERR_clear_error();  // this thread's queue must not leak into the next connection
  return Status::Failed;
}

UpstreamTlsStream::Status UpstreamTlsStream::handshake() {
  if (!ssl_ || failed_) {
    return Status::Failed;
  }
  if (established_) {
    return Status::Ok;
  }
  const int rc = SSL_do_handshake(ssl_.get());
  if (rc != 1) {
    return classify(rc);
  }
  established_ = true;
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
  alpn_.assign(reinterpret_cast<const char*>(proto), len);
  return Status::Ok;
}

UpstreamTlsStream::Status UpstreamTlsStream::read(char* buf, size_t cap, size_t& n) {
  n = 0;
  if (!ssl_ || failed_) {
    return Status::Failed;
  }
  const int rc = SSL_read(ssl_.get(), buf, static_cast<int>(cap));
  if (renegotiationRefused(ssl_.get())) {
    // Go's client fails the connection once it has refused a renegotiation.
    failed_ = true;
    error_ = "local error: tls: no renegotiation";
    ERR_clear_error();
    return Status::Failed;
  }
  if (rc > 0) {
    n = static_cast<size_t>(rc);
    return Status::Ok;
  }
  return classify(rc);
}

bool UpstreamTlsStream::write(std::string_view plain) {
  if (!ssl_ || failed_ || closeSent_) {
    return false;
  }
  const int rc = bio_.writeAll(plain);
  if (rc <= 0) {
    classify(rc);
    return false;
  }
  return true;
}

void UpstreamTlsStream::closeNotify() {
  if (!ssl_ || failed_ || closeSent_ || !established_) {
    return;
  }
  closeSent_ = true;
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

void UpstreamTlsStream::releaseIdleBuffers() {
  if (ssl_) {
    bio_.releaseIdle();
    SSL_free_buffers(ssl_.get());
  }
}

void UpstreamTlsStream::takeOutput(std::string& out) {
  bio_.takeOutput(out);
}

}  // namespace gatehouse::proxy
