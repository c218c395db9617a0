#pragma once
// TLS to upstreams (Caddy's transport.http.tls): one client SSL_CTX per reverse_proxy
// handler, shared by every worker (SSL_CTX is safe for concurrent SSL_new), with the trust
// store (system roots unless CAs are given), the client certificate, and a small cache of
// the last session per upstream so that new connections resume instead of doing a full
// handshake. Immutable after provision except the session cache, which has its own lock.

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "tls/server_tls.h"

namespace gatehouse::proxy {

class UpstreamTls {
 public:
  // `t` is the transport's "tls" object; throws ProvisionError naming `path`.
  static std::shared_ptr<UpstreamTls> parse(const config::Json& t, const std::string& path);
  ~UpstreamTls();
  UpstreamTls(const UpstreamTls&) = delete;
  UpstreamTls& operator=(const UpstreamTls&) = delete;

  // A client SSL for an upstream whose host is `host` (name or IP literal) and dial address
  // `dial`: SNI and the name verified are tls_server_name when set, else `host` (no SNI for
  // an IP, as Go); the cached session for `dial` is offered. `alpn` in wire format.
  [[nodiscard]] tls::SslPtr newSsl(const std::string& host, const std::string& dial,
                                   std::string_view alpn) const;
  // Keeps `ssl`'s session (once resumable) for the next connection to `dial`.
  void rememberSession(const std::string& dial, SSL* ssl) const;
  // TLS is off for upstreams on these ports (except_ports).
  [[nodiscard]] bool appliesToPort(const std::string& port) const;
  [[nodiscard]] std::chrono::milliseconds handshakeTimeout() const { return handshakeTimeout_; }

 private:
  UpstreamTls() = default;

  tls::SslCtxPtr ctx_;
  std::string serverName_;
  bool insecure_ = false;
  std::vector<std::string> exceptPorts_;
  std::chrono::milliseconds handshakeTimeout_{0};
  mutable std::mutex sessionsLock_;
  mutable std::map<std::string, SSL_SESSION*> sessions_;  // dial address -> last session (owned)
};

}  // namespace gatehouse::proxy
