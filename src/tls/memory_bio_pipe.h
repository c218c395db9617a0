#pragma once
// The memory BIOs under an SSL object, shared by the server side (tls_stream.h) and the
// upstream client side (proxy/upstream_tls_stream.h): ciphertext from the socket goes in,
// ciphertext to send comes out, and OpenSSL never touches a descriptor. Loop thread only.

#include <openssl/ssl.h>

#include <string>
#include <string_view>

namespace gatehouse::tls {

class MemoryBioPipe {
 public:
  // Puts `ssl` on two fresh memory BIOs (which it then owns); false if they cannot be made.
  bool attach(SSL* ssl);
  void pushCipher(const char* data, size_t len);
  // Encrypts all of `plain` (a memory BIO takes everything, so SSL_write never wants to
  // write later): 1, or the failing SSL_write return code for SSL_get_error().
  [[nodiscard]] int writeAll(std::string_view plain);
  // Appends the ciphertext produced so far to `out`.
  void takeOutput(std::string& out);
  [[nodiscard]] bool hasOutput() const;
  // Queues `bytes` as ciphertext to send (records built outside OpenSSL).
  void putOutput(std::string_view bytes);
  // Swaps an empty input BIO that grew large for a fresh one (idle connections stay small).
  void shrinkInput();
  // Swaps both BIOs, when empty, for fresh ones without a buffer: for a connection that
  // has gone idle (the buffers a handshake and a request left cost about 1.4 KiB).
  void releaseIdle();

 private:
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
};

}  // namespace gatehouse::tls
