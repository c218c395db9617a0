#pragma once
// Session ticket encryption keys (STEKs), shared by every TLS context of the process so a
// ticket issued by one worker, or before a reload, resumes on any other. As Caddy's
// standard STEK provider: a new key every 12 hours, the 4 newest kept for decryption.
// Thread-safe; handshakes read a snapshot without locking.

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace gatehouse::tls {

struct TicketKey {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> aesKey{};
  std::array<unsigned char, 32> hmacKey{};
  std::chrono::steady_clock::time_point created;
};

class TicketKeyRing {
 public:
  explicit TicketKeyRing(std::chrono::seconds rotation = std::chrono::hours(12), size_t keep = 4);

  // Installs the OpenSSL callback that encrypts and decrypts tickets with this ring. The
  // ring must outlive `ctx` (SSL_CTX app data points at the owner that keeps both).
  static int onTicketKey(SSL* ssl, unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
                         EVP_MAC_CTX* mac, int encrypt, TicketKeyRing& ring);

  // Newest first; rotates when the newest is older than the rotation interval.
  [[nodiscard]] std::shared_ptr<const std::vector<TicketKey>> keys();
  [[nodiscard]] std::chrono::seconds rotation() const { return rotation_; }
  [[nodiscard]] size_t keep() const { return keep_; }

 private:
  void rotate();

  std::chrono::seconds rotation_;
  size_t keep_;
  std::mutex rotateMu_;
  std::atomic<std::shared_ptr<const std::vector<TicketKey>>> keys_;
};

}  // namespace gatehouse::tls
