#include "tls/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "tls/tls_info.h"

namespace gatehouse::tls {

namespace {
// A memory BIO keeps the largest buffer it ever held (a 256 KiB body piece, a 64 KiB
// socket read); once empty, one grown past this is swapped for a fresh one so an idle
// connection does not keep it.
constexpr size_t kMaxIdleBioBytes = 32 * 1024;

BIO* newMemBio() {
  BIO* b = BIO_new(BIO_s_mem());
  if (b != nullptr) {
    BIO_set_mem_eof_return(b, -1);  // an empty BIO means "retry later", not EOF
  }
  return b;
}

bool grown(BIO* b) {
  BUF_MEM* bm = nullptr;
  BIO_get_mem_ptr(b, &bm);
  return bm != nullptr && bm->max > kMaxIdleBioBytes;
}
}  // namespace

TlsStream::TlsStream(const ServerTls& server, std::string localIp) {
  state_.localIp = std::move(localIp);
  ssl_ = server.newSsl(state_);
  if (!ssl_) {
    return;
  }
  in_ = newMemBio();
  out_ = newMemBio();
  if (in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    ssl_.reset();
    return;
  }
  SSL_set_bio(ssl_.get(), in_, out_);
  // OpenSSL frees its record buffers (about 34 KiB) whenever they are empty, so an idle
  // keep-alive connection holds only the SSL object itself.
  SSL_set_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS);
}

void TlsStream::shrinkInput() {
  if (BIO_ctrl_pending(in_) == 0 && grown(in_)) {
    if (BIO* fresh = newMemBio()) {
      SSL_set0_rbio(ssl_.get(), fresh);  // frees the old one
      in_ = fresh;
    }
  }
}

void TlsStream::pushCipher(const char* data, size_t len) {
  if (ssl_ && len > 0) {
    BIO_write(in_, data, static_cast<int>(len));
  }
}

TlsStream::Status TlsStream::classify(int rc) {
  switch (SSL_get_error(ssl_.get(), rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Status::WantMore;
    case SSL_ERROR_ZERO_RETURN:
      return Status::Closed;
    case SSL_ERROR_WANT_CLIENT_HELLO_CB:
      if (state_.onDemand != nullptr) {
        return Status::WantCertificate;
      }
      [[fallthrough]];
    default:
      failed_ = true;
      ERR_clear_error();  // this thread's queue must not leak into the next connection
      return Status::Failed;
  }
}

TlsStream::Status TlsStream::handshake() {
  if (!ssl_ || failed_) {
    return Status::Failed;
  }
  if (established_) {
    return Status::Ok;
  }
  int rc = SSL_do_handshake(ssl_.get());
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

void TlsStream::awaitCertificate(uv_loop_t* loop, std::chrono::milliseconds limit,
                                 std::function<void()> ready) {
  if (state_.onDemand == nullptr || wait_) {
    return ready();  // nothing to wait for (or already waited): the handshake fails
  }
  wait_ = std::make_unique<CertificateWait>(loop, *state_.onDemand, state_.serverName, limit, std::move(ready));
}

TlsStream::Status TlsStream::read(char* buf, size_t cap, size_t& n) {
  n = 0;
  if (!ssl_ || failed_) {
    return Status::Failed;
  }
  int rc = SSL_read(ssl_.get(), buf, static_cast<int>(cap));
  if (rc > 0) {
    n = static_cast<size_t>(rc);
    return Status::Ok;
  }
  const Status st = classify(rc);
  if (st == Status::WantMore) {
    shrinkInput();
  }
  return st;
}

bool TlsStream::write(std::string_view plain) {
  if (!ssl_ || failed_ || closeSent_) {
    return false;
  }
  while (!plain.empty()) {
    // A memory BIO takes everything, so SSL_write never returns WANT_WRITE here.
    int rc = SSL_write(ssl_.get(), plain.data(), static_cast<int>(std::min<size_t>(plain.size(), 1 << 30)));
    if (rc <= 0) {
      classify(rc);
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(rc));
  }
  return true;
}

void TlsStream::closeNotify() {
  if (!ssl_ || failed_ || closeSent_ || !established_) {
    return;
  }
  closeSent_ = true;
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

bool TlsStream::hasOutput() const {
  return out_ != nullptr && BIO_ctrl_pending(out_) > 0;
}

void TlsStream::takeOutput(std::string& out) {
  if (out_ == nullptr) {
    return;
  }
  size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) {
    return;
  }
  size_t at = out.size();
  out.resize(at + pending);
  int n = BIO_read(out_, out.data() + at, static_cast<int>(pending));
  out.resize(at + static_cast<size_t>(n > 0 ? n : 0));
  if (BIO_ctrl_pending(out_) == 0 && grown(out_)) {
    if (BIO* fresh = newMemBio()) {
      SSL_set0_wbio(ssl_.get(), fresh);  // frees the old one
      out_ = fresh;
    }
  }
}

std::shared_ptr<const runtime::TlsInfo> TlsStream::info() const {
  return ssl_ ? describeConnection(ssl_.get(), state_.serverName, alpn_) : nullptr;
}

}  // namespace gatehouse::tls
