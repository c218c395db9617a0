#pragma once
// A TLS listener of our own for TLS-ALPN-01 (RFC 8737) on a port no server of ours
// listens on (alt_tlsalpn_port, or https_port without a TLS server there): it completes
// a handshake only for a ClientHello that offers "acme-tls/1" and names (SNI) an
// identifier whose challenge certificate is being presented, then closes. Nothing else is
// ever served on it. Bounded: one handshake per connection, 10 s, 16 KiB in. Loop-thread only.

#include <openssl/ssl.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gatehouse/tls/challenge_provider.h"
#include "solvers/challenge_connections.h"
#include "solvers/tcp_server.h"

namespace gatehouse::acme {

class TlsAlpn01Listener {
 public:
  TlsAlpn01Listener(uv_loop_t* loop, std::shared_ptr<const tls::ChallengeCertificateProvider> certificates);
  ~TlsAlpn01Listener();
  TlsAlpn01Listener(const TlsAlpn01Listener&) = delete;
  TlsAlpn01Listener& operator=(const TlsAlpn01Listener&) = delete;

  // Binds host:port ("" = all addresses). Returns a uv error code (0 on success);
  // UV_EPROTO when OpenSSL cannot make the context.
  int listen(const std::string& host, uint16_t port);
  [[nodiscard]] uint16_t port() const { return server_.port(); }
  void close();

  static constexpr size_t kMaxIn = 16384;
  static constexpr uint64_t kTimeoutMs = 10000;

 private:
  struct Connection;
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  static void onConnection(uv_stream_t* server, int status);
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onTimeout(uv_timer_t* t);
  static int onServerName(SSL* ssl, int* alert, void* arg);
  static int onAlpn(SSL* ssl, const unsigned char** out, unsigned char* outLen, const unsigned char* in,
                    unsigned int inLen, void* arg);
  bool makeContext();
  void handshake(Connection& c);
  void flush(Connection& c);
  void finish(Connection& c);

  uv_loop_t* loop_;
  std::shared_ptr<const tls::ChallengeCertificateProvider> certificates_;
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  TcpServer server_;
  ChallengeConnections<Connection> connections_;
};

}  // namespace gatehouse::acme
