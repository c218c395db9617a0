#pragma once
// A proxied tunnel (WebSocket, any Connection: Upgrade) once the 101 is out: the client
// connection's session becomes this relay, which holds the upstream socket itself, so the
// HTTP/1.1 session, its exchange, the ProxyCall and the UpstreamConnection are all freed
// (an idle WebSocket went from ~5 KiB to what its two sockets need). On HTTP/2 (an RFC
// 8441 extended CONNECT answered 200) the relay serves one stream: its client is the
// stream's http::H2TunnelLink, and the stream's exchange is freed the same way. Bytes pass
// both ways as they come; a side that cannot take more stops reading from the other (write state
// exists only while bytes wait); each EOF is passed on as a half-close and the tunnel
// closes once both sides have ended. stream_timeout and stream_close_delay (after a
// reload removed the site) share one timer, made only when one of them is set. The
// request's facts stay packed for a reload's "is this site still served" check; on a
// server with an access log or metrics, so does the rest of the exchange they record,
// recorded when the tunnel ends. An https:// upstream's TLS comes along (its SSL object on
// memory BIOs, tunnel_relay_tls.cpp): the relay decrypts and encrypts between the two
// sockets itself, and drops the record buffers once the tunnel has been quiet for a while,
// as the client connection does with its own.
// Loop thread only.

#include <uv.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "http/session.h"
#include "http/tunnel_recording.h"
#include "proxy/connection_pool.h"
#include "proxy/packed_request.h"
#include "proxy/tunnel_record.h"
#include "proxy/upstream_tls_stream.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

class TunnelRelay final : public http::Session, public http::TunnelRecording {
 public:
  struct Setup {
    ConnectionPool* pool = nullptr;
    size_t upstream = 0;   // the pool state whose `active` count the relay took over
    bool counted = false;  // it counts this tunnel: the relay's end takes it back
    size_t slot = 0;       // the pool slot held (a template upstream's), released at the end
    bool holdsSlot = false;
    bool unix = false;
    // The client is an HTTP/2 stream: a broken upstream (a reset, a read or write error)
    // ends it with close(true), RST_STREAM CONNECT_ERROR (RFC 9113 8.5), never an orderly
    // END_STREAM. An HTTP/1.1 connection closes the same way either way. (Next to the
    // other flags: the relay stays within its malloc size class.)
    bool clientStream = false;
    std::chrono::milliseconds timeout{0};     // what is left of stream_timeout; 0: none
    std::chrono::milliseconds closeDelay{0};  // stream_close_delay
    PackedRequest request;
    ConnPermit permit;  // max_conns_per_host: released when the relay ends
    // A dynamic upstream's counters (and its try's other candidates'), held for as long as
    // Caddy's try lasts: until the tunnel ends.
    std::vector<CountersLease> hosts;
    std::unique_ptr<UpstreamTlsStream> tls;  // an https:// upstream's TLS, mid-stream
  };

  TunnelRelay(http::Transport& client, Setup setup);
  ~TunnelRelay() override;
  TunnelRelay(const TunnelRelay&) = delete;
  TunnelRelay& operator=(const TunnelRelay&) = delete;

  // Adopts the upstream socket `fd` (its own descriptor from now on) and starts relaying,
  // first `upstreamBytes` (read past the 101 head, decrypted) to the client. False: nothing was
  // adopted, the caller still closes `fd`.
  bool open(uv_os_fd_t fd, std::string upstreamBytes);

  // Session (the client side)
  void onData(const char* data, size_t len) override;
  void onEof() override;
  void onDrained() override;
  void shutdown() override {}  // a stop or reload leaves open tunnels alone (siteRemoved)
  [[nodiscard]] bool idle() const override { return false; }
  void setPeer(const http::PeerInfo& /*peer*/) override {}
  // The tunnel has been quiet for a while: the upstream TLS buffers go (tunnel_relay_tls.cpp).
  void trim() override;
  void forEachExchange(const std::function<void(runtime::Exchange&)>& fn) override;
  // TunnelRecording
  void recordWith(http::RequestHandler& recorder, const runtime::Exchange& ex) override;
  void recordAtEnd(const uint64_t& sent) override { sentToClient_ = &sent; }

 private:
  struct Box;
  struct Writing;
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onTimer(uv_timer_t* t);

  // Bytes for the upstream socket (ciphertext when TLS): sent at once when it takes them,
  // else kept until it does, holding the client back meanwhile.
  void sendUpstream(const char* data, size_t len);
  void toClient(const char* data, size_t len);
  // The upstream's EOF (TCP's, or TLS's close_notify): a half-close towards the client.
  void upstreamEnded();
  // TLS (tunnel_relay_tls.cpp): ciphertext read from the upstream, decrypted for the
  // client; plaintext from the client, encrypted for the upstream; the close_notify that
  // passes a client's half-close on; ciphertext OpenSSL produced by itself (a key update).
  void fromUpstreamTls(const char* data, size_t len);
  void toUpstreamTls(const char* data, size_t len);
  void closeNotifyUpstream();
  void flushTlsOutput();
  // Nothing waits either way: the client connection may drop its TLS buffers if it stays so.
  void settle();
  void startReading();
  void shutUpstream();
  void arm(std::chrono::milliseconds after);
  void siteRemoved();
  // Ends both sides (an error: `broken`, a timeout, or both EOFs).
  void finish(bool broken = false);
  void closeUpstream();
  // The access log entry and metrics of the tunnel's exchange, once.
  void record();

  http::Transport& client_;
  Setup setup_;
  std::unique_ptr<TunnelRecord> record_;    // the server records exchanges
  const uint64_t* sentToClient_ = nullptr;  // see recordAtEnd()
  Box* box_ = nullptr;  // the upstream handle (+ write state); freed by its close callback
  UvHandle<uv_timer_t> timer_;
  uint64_t due_ = 0;  // loop time the timer is armed for
  bool reading_ = false;
  bool clientEof_ = false;
  bool upstreamEof_ = false;
  bool shutPending_ = false;  // the client's EOF waits for a write in flight
  bool finished_ = false;
};

}  // namespace gatehouse::proxy
