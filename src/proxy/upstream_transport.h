#pragma once
// What the http transport adds to a plain TCP connection to an upstream: TLS, a PROXY
// protocol header, a fixed local address, and Go's transparent gzip. ProxyCall only asks
// for the DialOptions of each new connection and whether to decode gzip; the connection
// does the rest. Immutable after provision.

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/runtime/exchange.h"
#include "proxy/proxy_protocol.h"
#include "proxy/upstream_address.h"
#include "proxy/upstream_resolver.h"

namespace gatehouse::proxy {

class UpstreamTls;

// ALPN in wire format: what an HTTP/1.1 dial of a transport that may speak h2 offers.
inline constexpr std::string_view kAlpnHttp11{"\x08http/1.1", 9};

// Per new connection.
struct DialOptions {
  const UpstreamTls* tls = nullptr;  // nullptr: cleartext
  std::string proxyHeader;           // sent before anything else (also before TLS)
  const sockaddr_storage* localAddress = nullptr;
  // ALPN offered over TLS, in wire format; empty: none offered (Go's HTTP/1.1-only dial).
  std::string_view alpn;
  // For a name with addresses of both families (DialRace): Happy Eyeballs' delay (< 0:
  // off, 0: 300 ms) and the dial timeout its attempts share.
  std::chrono::milliseconds fallbackDelay{0};
  std::chrono::milliseconds dialTimeout{0};
  // TCP keep-alive probe period once connected (tcp_keepalive.h); < 0: off.
  std::chrono::milliseconds keepAliveProbe{30'000};
  // read_timeout / write_timeout: how long one read may wait for the upstream's next bytes
  // and one write for the kernel to take ours (Go's per-call deadlines); 0: no limit.
  std::chrono::milliseconds readTimeout{0};
  std::chrono::milliseconds writeTimeout{0};
};

struct TransportConfig {
  std::shared_ptr<UpstreamTls> tls;
  ProxyProtocol proxyProtocol = ProxyProtocol::Off;
  std::optional<sockaddr_storage> localAddress;
  bool compression = true;                 // Go's default: DisableCompression false
  std::vector<ResolverAddress> resolvers;  // empty: the system's resolver
  // `versions` (Caddy's default ["1.1", "2"]): "2" offers h2 by ALPN over TLS (HTTP/1.1
  // stays offered, as Go's transport does); "h2c" speaks HTTP/2 with prior knowledge to
  // cleartext upstreams.
  bool h2 = true;
  bool h2c = false;
  std::chrono::milliseconds fallbackDelay{0};    // dial_fallback_delay (< 0: no Happy Eyeballs)
  std::chrono::milliseconds dialTimeout{3'000};  // dial_timeout (Caddy's default)
  // keep_alive.probe_interval (Go's net.Dialer.KeepAlive): 30 s without a keep_alive
  // object (Caddy's default), 15 s with one that leaves it 0 (Go's), < 0: probes off.
  std::chrono::milliseconds keepAliveProbe{30'000};
  std::chrono::milliseconds readTimeout{0};   // read_timeout (0: none)
  std::chrono::milliseconds writeTimeout{0};  // write_timeout (0: none)

  // Options for a connection to `address` made for `req`.
  [[nodiscard]] DialOptions dialOptions(const UpstreamAddress& address, const runtime::Request& req) const;
  // Go's transparent compression: when the request names no encoding and is no range request,
  // and the method sent upstream is not HEAD, the transport asks for gzip and decodes it.
  [[nodiscard]] bool wantsGzip(const runtime::HeaderList& h, std::string_view method) const;
  // A connection carrying a PROXY header belongs to one client: never pooled.
  [[nodiscard]] bool reusableConnections() const { return proxyProtocol == ProxyProtocol::Off; }
  // The request goes out as HTTP/2 (h2c, or h2 when the TLS upstream selects it). Upgrades
  // never do over TLS (Go's transport keeps them on HTTP/1.1 connections).
  [[nodiscard]] bool wantsH2(const UpstreamAddress& address, const runtime::Request& req) const {
    return usesTls(address) ? h2 && req.upgrade.empty() : h2c;
  }
  [[nodiscard]] bool usesTls(const UpstreamAddress& address) const;

  // dial_fallback_delay: a duration that may be negative (Go's: any negative value turns
  // the fallback off, even -1ns, which stays negative here). Throws ProvisionError.
  static std::chrono::milliseconds parseFallbackDelay(const config::Json& value, const std::string& path);
  // "ip" or "ip:port" (Caddy's local_address); nullopt when malformed.
  static std::optional<sockaddr_storage> parseLocalAddress(const std::string& text);
};

}  // namespace gatehouse::proxy
