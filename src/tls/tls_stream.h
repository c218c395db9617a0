#pragma once
// One TLS connection driven entirely from memory: ciphertext read from the socket goes in
// through pushCipher(), plaintext comes out of read(); plaintext written goes in through
// write() and the ciphertext to send comes out of takeOutput(). libuv does all socket I/O,
// OpenSSL never touches a descriptor. Loop-thread only.

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gatehouse/runtime/exchange.h"
#include "tls/certificate_wait.h"
#include "tls/memory_bio_pipe.h"
#include "tls/server_tls.h"

namespace gatehouse::tls {

class TlsStream {
 public:
  enum class Status {
    Ok,               // progress made (handshake complete / bytes read)
    WantMore,         // needs more ciphertext from the peer
    Closed,           // the peer sent close_notify
    Failed,           // fatal TLS error: queued output (an alert) may still be sent, then close
    WantCertificate,  // paused for a certificate obtained on demand: awaitCertificate()
  };

  TlsStream(const ServerTls& server, std::string localIp);
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  [[nodiscard]] bool valid() const { return ssl_ != nullptr; }
  void pushCipher(const char* data, size_t len);
  // Drives the handshake with the ciphertext pushed so far.
  Status handshake();
  [[nodiscard]] bool established() const { return established_; }
  // After handshake() returned WantCertificate: asks for the certificate; `ready` runs on
  // `loop` once it arrived, was refused, or `limit` passed. Call handshake() again then.
  void awaitCertificate(uv_loop_t* loop, std::chrono::milliseconds limit, std::function<void()> ready);
  [[nodiscard]] bool awaitingCertificate() const {
    return (wait_ && wait_->pending()) || (managerWait_ && managerWait_->pending()) ||
           (storedWait_ && storedWait_->pending());
  }
  // Decrypts up to `cap` bytes into `buf`; `n` is set when Ok.
  Status read(char* buf, size_t cap, size_t& n);
  // Encrypts all of `plain`; false on a fatal error.
  bool write(std::string_view plain);
  // Queues close_notify (once; not after a fatal error).
  void closeNotify();
  // Appends the ciphertext produced so far to `out`.
  void takeOutput(std::string& out);
  [[nodiscard]] bool hasOutput() const;
  // The connection went idle: give back the (empty) ciphertext buffers.
  void releaseIdleBuffers();

  // After the handshake.
  [[nodiscard]] std::shared_ptr<const runtime::TlsInfo> info() const;
  [[nodiscard]] const std::string& alpn() const { return alpn_; }
  [[nodiscard]] bool acmeChallenge() const { return hs_ ? hs_->acmeChallenge : acmeChallenge_; }
  // The acme-tls/1 answer came from a challenge another server stored (not our own).
  [[nodiscard]] bool acmeChallengeFromStorage() const {
    return hs_ ? hs_->storedChallengeCert != nullptr : acmeChallengeFromStorage_;
  }
  // Why the handshake failed when the client sent no SNI and no certificate stood in ("" otherwise).
  [[nodiscard]] const std::string& noSniFailure() const { return hs_ ? hs_->noSniFailure : kNone; }
  // The certificate managers that failed while this handshake waited (once: taken, they
  // are gone), and the SNI they were asked for.
  [[nodiscard]] std::vector<ManagerFailure> takeManagerFailures() {
    return hs_ ? std::exchange(hs_->managerAnswer.failures, {}) : std::vector<ManagerFailure>{};
  }
  // Lower-case during the handshake; as the client sent it once established.
  [[nodiscard]] const std::string& serverName() const { return hs_ ? hs_->serverName : serverName_; }

 private:
  Status classify(int rc);
  // Replaces the flight after the ServerHello with Go's encrypted no_application_protocol.
  Status refuseAlpnLate();
  void dropHandshakeState();
  void awaitManagers(uv_loop_t* loop, std::chrono::milliseconds limit, std::function<void()> ready);
  void awaitStoredChallenge(uv_loop_t* loop, std::chrono::milliseconds limit, std::function<void()> ready);

  // Freed once the handshake is done (dropHandshakeState): SSL app data points at it.
  std::unique_ptr<HandshakeState> hs_;
  std::string serverName_;  // once established: the SNI as sent
  bool acmeChallenge_ = false;
  bool acmeChallengeFromStorage_ = false;
  inline static const std::string kNone;
  SslPtr ssl_;
  MemoryBioPipe bio_;
  bool established_ = false;
  bool failed_ = false;
  bool closeSent_ = false;
  std::string alpn_;
  std::unique_ptr<CertificateWait> wait_;         // only while (or after) paused for on-demand TLS
  std::unique_ptr<CertificateWait> managerWait_;  // only while (or after) asking certificate managers
  std::unique_ptr<CertificateWait> storedWait_;   // only while (or after) reading a stored challenge
};

}  // namespace gatehouse::tls
