#include "tls/memory_bio_pipe.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>

#include <algorithm>

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

size_t capacity(BIO* b) {
  BUF_MEM* bm = nullptr;
  BIO_get_mem_ptr(b, &bm);
  return bm != nullptr ? bm->max : 0;
}

bool grown(BIO* b) {
  return capacity(b) > kMaxIdleBioBytes;
}
}  // namespace

bool MemoryBioPipe::attach(SSL* ssl) {
  BIO* in = newMemBio();
  BIO* out = newMemBio();
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return false;
  }
  SSL_set_bio(ssl, in, out);
  ssl_ = ssl;
  in_ = in;
  out_ = out;
  return true;
}

void MemoryBioPipe::pushCipher(const char* data, size_t len) {
  if (in_ != nullptr && len > 0) {
    BIO_write(in_, data, static_cast<int>(len));
  }
}

int MemoryBioPipe::writeAll(std::string_view plain) {
  while (!plain.empty()) {
    const int rc = SSL_write(ssl_, plain.data(), static_cast<int>(std::min<size_t>(plain.size(), 1 << 30)));
    if (rc <= 0) {
      return rc;
    }
    plain.remove_prefix(static_cast<size_t>(rc));
  }
  return 1;
}

void MemoryBioPipe::takeOutput(std::string& out) {
  if (out_ == nullptr) {
    return;
  }
  const size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) {
    return;
  }
  const size_t at = out.size();
  out.resize(at + pending);
  const int n = BIO_read(out_, out.data() + at, static_cast<int>(pending));
  out.resize(at + static_cast<size_t>(n > 0 ? n : 0));
  if (BIO_ctrl_pending(out_) == 0 && grown(out_)) {
    if (BIO* fresh = newMemBio()) {
      SSL_set0_wbio(ssl_, fresh);  // frees the old one
      out_ = fresh;
    }
  }
}

void MemoryBioPipe::putOutput(std::string_view bytes) {
  if (out_ != nullptr && !bytes.empty()) {
    BIO_write(out_, bytes.data(), static_cast<int>(bytes.size()));
  }
}

bool MemoryBioPipe::hasOutput() const {
  return out_ != nullptr && BIO_ctrl_pending(out_) > 0;
}

void MemoryBioPipe::releaseIdle() {
  if (in_ != nullptr && BIO_ctrl_pending(in_) == 0 && capacity(in_) > 0) {
    if (BIO* fresh = newMemBio()) {
      SSL_set0_rbio(ssl_, fresh);  // frees the old one
      in_ = fresh;
    }
  }
  if (out_ != nullptr && BIO_ctrl_pending(out_) == 0 && capacity(out_) > 0) {
    if (BIO* fresh = newMemBio()) {
      SSL_set0_wbio(ssl_, fresh);
      out_ = fresh;
    }
  }
}

void MemoryBioPipe::shrinkInput() {
  if (in_ != nullptr && BIO_ctrl_pending(in_) == 0 && grown(in_)) {
    if (BIO* fresh = newMemBio()) {
      SSL_set0_rbio(ssl_, fresh);  // frees the old one
      in_ = fresh;
    }
  }
}

}  // namespace gatehouse::tls
