#pragma once
// One HTTP/1.1 client connection to an upstream (TCP or unix socket): connects, writes what
// it is given in order, parses responses with llhttp (HTTP_RESPONSE) and reports to its
// current Listener. The transport's extras live below the HTTP layer: a PROXY protocol
// header, TLS (UpstreamTlsStream; "connected" means handshake done) and gzip decoding. After a 101 it carries
// raw bytes (tunnel). Between requests it sits in the per-worker ConnectionPool, reading only to notice that
// the upstream closed it. Loop thread only. Listener callbacks may call any method here, but never destroy
// the connection; the owner destroys it from its own context.

#include <llhttp.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gatehouse/runtime/header_list.h"
#include "proxy/conn_limit.h"
#include "proxy/gzip_inflater.h"
#include "proxy/upstream_address.h"
#include "proxy/upstream_dial_race.h"
#include "proxy/upstream_tls_stream.h"
#include "proxy/upstream_transport.h"
#include "proxy/uv_handle.h"

namespace gatehouse::proxy {

struct ResponseHead {
  int status = 0;
  int versionMinor = 1;
  std::string reason;  // the status line's reason phrase ({http.reverse_proxy.status_text})
  runtime::HeaderList headers;
  bool hasLength = false;  // Content-Length framing
  uint64_t length = 0;
  bool upgrade = false;  // 101 Switching Protocols
  // Trailers may follow the body (HTTP/1.1 chunked framing, HTTP/2): Go's transport then
  // turns the `Trailer` field into Response.Trailer, which its ReverseProxy announces again.
  bool trailerCapable = false;
};

class UpstreamConnection {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void onUpstreamConnected() = 0;
    virtual void onUpstreamHead(ResponseHead& head) = 0;
    // An interim response (1xx other than 101) before the final head.
    virtual void onUpstreamInformational(const ResponseHead& /*head*/) {}
    // A trailer field after the body (a chunked HTTP/1.1 body's trailer section, or
    // HTTP/2's trailing HEADERS), before onUpstreamEnd.
    virtual void onUpstreamTrailer(std::string_view /*name*/, std::string_view /*value*/) {}
    virtual void onUpstreamBody(std::string_view data) = 0;
    virtual void onUpstreamEnd() = 0;
    // Everything written so far has been handed to the kernel.
    virtual void onUpstreamWritten() = 0;
    // Connect, read or write failure, or the upstream closed before the response ended.
    virtual void onUpstreamError(int uvError) = 0;
    // Tunnel mode: raw bytes from the upstream, and its end (EOF).
    virtual void onUpstreamTunnelData(std::string_view data) = 0;
    virtual void onUpstreamTunnelEof() = 0;
  };

  // `readBuffer` is the worker's shared read buffer (consumed inside each read callback).
  UpstreamConnection(uv_loop_t* loop, const UpstreamAddress& address, size_t upstreamIndex,
                     uv_buf_t readBuffer, size_t maxHeaderBytes);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Starts connecting; a non-zero libuv error means it failed at once (no callback follows).
  int connect(Listener& listener, const UpstreamAddress& address, const DialOptions& options = {});
  // Takes the connection out of the pool for a new request.
  void attach(Listener& listener);
  // Parks it in the pool: no listener; any byte or EOF from the upstream kills it.
  void park();

  // Expect the response to a request (HEAD responses carry no body). `decodeGzip`: the
  // proxy asked for gzip itself (TransportConfig::wantsGzip), so a gzip body is decoded.
  void expectResponse(bool headRequest, bool decodeGzip = false);
  // Queues bytes in order. With `tellWhenWritten` false the listener needs no
  // onUpstreamWritten for them: they go out with uv_try_write when nothing waits, which
  // spares the epoll_ctl pair a uv_write costs (libuv re-arms the fd when its queue drains).
  void write(std::string_view bytes, bool tellWhenWritten = true);
  void shutdownWrite();
  void pauseReading();
  void resumeReading();
  // After a 101: bytes the parser already read go to the listener on the next resumeReading.
  void startTunnel();
  // Raw bytes both ways for another framing layer (an HTTP/2 session): like a tunnel, but
  // reading never pauses by itself (the layer above has its own flow control).
  void startFrames();
  // A tunnel given to another owner (TunnelRelay): a duplicate of the socket's descriptor
  // (-1 on failure), in `early` the (decrypted) bytes read past the 101 head, and in `tls`
  // the TLS layer when there is one (the SSL object on its memory BIOs, mid-stream). This
  // connection is dead afterwards (its own handle closes; the socket lives on in the
  // duplicate).
  uv_os_fd_t releaseSocket(std::string& early, std::unique_ptr<UpstreamTlsStream>& tls);
  // A tunnel's bytes on the socket itself or through TLS: no HTTP/2 framing above them.
  [[nodiscard]] bool relayable() const { return !frames_; }
  // Whether the connection keeps the worker's loop alive (an idle HTTP/2 session must not).
  void holdLoop(bool hold);
  // The protocol TLS negotiated by ALPN ("h2", "http/1.1"), else empty.
  [[nodiscard]] std::string_view alpn() const;
  [[nodiscard]] bool tlsActive() const { return tls_ != nullptr; }
  // Bytes waiting behind the write in flight.
  [[nodiscard]] size_t queuedBytes() const { return queued_.size(); }

  [[nodiscard]] bool connected() const { return connected_; }
  [[nodiscard]] bool dead() const { return dead_; }
  [[nodiscard]] bool drained() const;
  // The response ended, the upstream allows keep-alive and nothing else is pending.
  [[nodiscard]] bool reusable() const;
  [[nodiscard]] size_t upstreamIndex() const { return upstreamIndex_; }
  [[nodiscard]] uint64_t idleSince() const { return idleSince_; }
  // max_conns_per_host: the slot this connection counts against, released when it dies.
  void adoptPermit(ConnPermit p) { permit_ = std::move(p); }
  ConnPermit takePermit() { return std::move(permit_); }
  ConnPermit& permit() { return permit_; }
  // Dialed for a WebSocket upgrade: Go's transport keys such a request's connections apart
  // (HTTP/1.1 only), so it is parked for, and reused by, WebSocket upgrades alone.
  void setWebSocketOnly(bool only) { webSocketOnly_ = only; }
  [[nodiscard]] bool webSocketOnly() const { return webSocketOnly_; }
  // Words for the last failure below HTTP (TLS), else empty.
  [[nodiscard]] const std::string& failure() const { return failure_; }
  // The response head (or its trailers) went over max_response_header: parsing stopped there.
  [[nodiscard]] bool headerLimitHit() const { return headerBytes_ > maxHeaderBytes_; }
  // Bytes of the awaited answer have come: as Go's transport, a failure after that is no
  // stale connection to try the request again on.
  [[nodiscard]] bool answerStarted() const { return answerStarted_; }
  [[nodiscard]] size_t headerLimit() const { return maxHeaderBytes_; }
  // failure() is Go's transport's whole error text (Caddy's error message), not a detail.
  [[nodiscard]] bool failureWorded() const { return failureWorded_; }

 private:
  struct Box;
  static void onConnect(uv_connect_t* req, int status);
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static int onMessageBegin(llhttp_t* p);
  static int onStatus(llhttp_t* p, const char* at, size_t len);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeaderFieldComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  // Go's transport takes repeated Content-Length fields that agree (as one) and refuses
  // those that differ with its own words (upstream_response_parse.cpp).
  bool mergeLengthFields();
  bool supportedTransferCoding(int versionMinor);
  // llhttp stopped inside a Content-Length value at `pos`: Go's "bad Content-Length" text.
  void noteBadLength(const char* pos, const char* end);
  static int onBody(llhttp_t* p, const char* at, size_t len);
  static int onMessageComplete(llhttp_t* p);
  // The trailer section of a chunked body (upstream_response_trailers.cpp).
  int onTrailerField(const char* at, size_t len);
  int onTrailerValue(const char* at, size_t len);
  void flushTrailer();
  // Go's transport refuses a chunked response announcing these as trailers.
  bool badTrailerAnnounced();
  static UpstreamConnection& self(llhttp_t* p) { return *static_cast<UpstreamConnection*>(p->data); }

  void onTransportConnected();
  // A name with several addresses: DialRace connects, the winner's socket becomes ours.
  int startRace(const UpstreamAddress& address, const DialOptions& options);
  void onRaceDone(int status, uv_os_sock_t socket);
  void startWrite();
  void startTls();
  void onCipher(const char* data, size_t len);
  void drainPlain();
  void flushTls();
  void reportConnected();
  void deliverBody(std::string_view data);
  // Decodes gzip body bytes for the listener until it asks for a pause; what is left waits
  // in gzStash_ (at most one read's worth) for resumeReading().
  void inflateBody(std::string_view data);
  // The stash drained and the message already ended: the listener learns it now.
  void finishInflatedEnd();
  void consume(const char* data, size_t len);
  void startParser();
  // llhttp refused a line of the head that Go reads: true when the head was read again
  // without it (upstream_head_repair.h).
  bool rereadRepairedHead(const char* data, size_t len);
  void onReadEof();
  // `logFailure`: log failure_ (a transport failure the operator would not see otherwise).
  void fail(int uvError, bool logFailure = true);
  void die();
  // read_timeout / write_timeout (upstream_connection_deadlines.cpp).
  void armDeadlines();
  static void onDeadline(uv_timer_t* t);
  [[nodiscard]] std::string ioTimeoutText(const char* op) const;
  bool socketNames(sockaddr_storage& local, sockaddr_storage& peer) const;

  uv_loop_t* loop_;
  size_t upstreamIndex_;
  uv_buf_t readBuffer_;
  size_t maxHeaderBytes_;
  Box* box_ = nullptr;  // handle + requests; freed by libuv's close callback
  Listener* listener_ = nullptr;
  static const llhttp_settings_t& settings();

  llhttp_t parser_{};
  ResponseHead head_;
  bool lastWasValue_ = true;
  bool foldBlanks_ = false;  // an obs-fold line began: its leading blanks are not the value's
  // Where this read's bytes begin, and the byte before them: a value span that starts a line
  // is an obs-fold continuation.
  const char* readStart_ = nullptr;
  char byteBefore_ = '\n';
  // The answer's head bytes read so far (1xx heads too) when a read ended inside it: read
  // again, repaired, if llhttp refuses a line Go reads (upstream_head_repair.h).
  std::string headBytes_;
  bool inHead_ = false;           // before the final head's end
  int interimsSeen_ = 0;          // 1xx heads handed to the listener in this answer
  int interimsToSkip_ = 0;        // ... and not to hand over again when the head is read again
  bool keepAliveVetoed_ = false;  // this response's framing was ambiguous: never reuse
  bool repeatedLength_ = false;   // a second Content-Length field (llhttp was let past it)
  bool failureWorded_ = false;
  size_t headerBytes_ = 0;
  // The trailer field being read (after the head: a chunked body's trailer section); only
  // allocated when one comes, so an idle pooled connection carries one pointer for it.
  struct TrailerField {
    std::string name;
    std::string value;
  };
  std::unique_ptr<TrailerField> trailer_;
  bool inTrailers_ = false;
  std::string queued_;
  std::string leftover_;  // read past the end of a 101 head
  bool unix_ = false;
  bool connected_ = false;
  bool dead_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool headRequest_ = false;
  bool awaiting_ = false;       // a response is expected
  bool answerStarted_ = false;  // bytes of it came
  bool responseDone_ = false;
  bool tunnel_ = false;
  bool frames_ = false;
  bool keepAlive_ = false;
  bool writeShut_ = false;
  uint64_t idleSince_ = 0;
  bool eofSeen_ = false;
  // Transport extras.
  DialOptions options_;
  std::string dial_;  // the address TLS sessions are cached under
  std::string host_;  // the name TLS verifies (unless tls_server_name)
  std::unique_ptr<UpstreamTlsStream> tls_;
  std::unique_ptr<DialRace> race_;  // while a name's addresses race
  UvHandle<uv_timer_t> handshakeTimer_;
  UvHandle<uv_timer_t> deadlineTimer_;  // only with a read_timeout or write_timeout
  uint64_t readSince_ = 0;              // loop time the read wait began or bytes last came
  uint64_t writeSince_ = 0;             // loop time the write in flight began
  bool reported_ = false;               // onUpstreamConnected was called
  bool sessionSaved_ = false;           // the TLS session was offered to the cache
  bool decodeGzip_ = false;
  std::unique_ptr<GzipInflater> gunzip_;
  std::string gzStash_;        // compressed bytes not decoded yet (the listener was full)
  bool gzEndPending_ = false;  // the message ended while gzStash_ still held bytes
  bool pauseAsked_ = false;    // pauseReading() since the last resumeReading()
  std::string failure_;
  ConnPermit permit_;
  bool webSocketOnly_ = false;
};

}  // namespace gatehouse::proxy
