#pragma once
// The client side of one TLS connection to an upstream, driven from memory as the server
// side (tls/tls_stream.h): ciphertext read from the socket goes in through pushCipher(),
// plaintext comes out of read(); plaintext written goes in through write() and the
// ciphertext to send comes out of takeOutput(). Loop thread only.

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "tls/memory_bio_pipe.h"
#include "tls/server_tls.h"

namespace gatehouse::proxy {

class UpstreamTlsStream {
 public:
  enum class Status { Ok, WantMore, Closed, Failed };

  explicit UpstreamTlsStream(tls::SslPtr ssl);
  UpstreamTlsStream(const UpstreamTlsStream&) = delete;
  UpstreamTlsStream& operator=(const UpstreamTlsStream&) = delete;

  [[nodiscard]] bool valid() const { return ssl_ != nullptr; }
  void pushCipher(const char* data, size_t len);
  Status handshake();
  [[nodiscard]] bool established() const { return established_; }
  Status read(char* buf, size_t cap, size_t& n);
  bool write(std::string_view plain);
  void closeNotify();
  void takeOutput(std::string& out);
  // A grown input BIO, once empty, is swapped for a fresh one (a tunnel's 64 KiB reads).
  void shrinkInput() { bio_.shrinkInput(); }
  // For a connection gone quiet: the empty BIOs and OpenSSL's record buffers (about
  // 34 KiB; SSL_free_buffers keeps them while a record is half done) go, and come back
  // with the next record.
  void releaseIdleBuffers();
  [[nodiscard]] SSL* ssl() const { return ssl_.get(); }
  [[nodiscard]] const std::string& alpn() const { return alpn_; }
  // Why the handshake or a read failed, in words ("certificate verify failed: ...").
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  Status classify(int rc);

  tls::SslPtr ssl_;
  tls::MemoryBioPipe bio_;
  bool established_ = false;
  bool failed_ = false;
  bool closeSent_ = false;
  std::string alpn_;
  std::string error_;
};

}  // namespace gatehouse::proxy
