#pragma once
// One request/response pair. Handlers receive `Exchange&` only; they never see the session,
// the socket or TLS. An Exchange lives on one loop thread and is reused by its session for
// the next request on the connection (clear() keeps string capacity, so a keep-alive
// connection settles into an allocation-light steady state).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gatehouse/runtime/body_source.h"
#include "gatehouse/runtime/exchange_host.h"
#include "gatehouse/runtime/header_list.h"

namespace gatehouse::runtime {

class OutputStage;

// The TLS facts of the connection a request arrived on ({http.request.tls.*}): immutable,
// one per connection, shared by every request on it. Null on cleartext connections.
struct TlsInfo {
  std::string version;      // "tls1.3"
  std::string cipherSuite;  // IANA name, "TLS_AES_128_GCM_SHA256"
  std::string proto;        // negotiated ALPN ("h2", "http/1.1"), may be empty
  std::string serverName;   // SNI, may be empty
  bool resumed = false;
  // The client's certificate, when it presented one.
  bool hasClientCert = false;
  std::string clientSubject;  // RFC 2253, as Go's pkix.Name.String()
  std::string clientIssuer;
  std::string clientSerial;       // decimal
  std::string clientFingerprint;  // hex SHA-256 of the DER
  std::string clientCertificatePem;
  std::vector<std::string> clientDnsNames;
};

struct Request {
  std::string method;     // "GET"
  std::string host;       // Host header or absolute-form authority (may carry a port)
  std::string path;       // decoded path, as Go's URL.Path
  std::string rawPath;    // escaped path as received or rewritten (URL.EscapedPath())
  std::string query;      // raw query, without '?'
  bool hasQuery = false;  // "?" present (even if empty)
  std::string origUri;    // request-target as received, kept across rewrites
  HeaderList headers;
  int versionMajor = 1;  // 1: HTTP/1.x (Http1Session), 2: HTTP/2 (Http2Session)
  int versionMinor = 1;  // HTTP/1.x; 0 on HTTP/2 ("HTTP/2.0", as Go's Request.Proto)
  bool tls = false;
  std::string remoteIp;  // "127.0.0.1" / "::1"
  uint16_t remotePort = 0;
  uint16_t localPort = 0;
  std::shared_ptr<const TlsInfo> tlsInfo;  // per connection; kept across clear()
  // Request body framing as received: 0 = no body, kChunked = chunked (length unknown),
  // else the Content-Length. The bytes themselves come from ExchangeHost::requestBody().
  static constexpr uint64_t kChunked = UINT64_MAX;
  uint64_t bodyLength = 0;
  // request_body max_size; 0 = no limit. Enforced by the session while the body is read.
  uint64_t maxBodyBytes = 0;
  // The client asked to switch protocols (Connection: Upgrade on HTTP/1.1, extended
  // CONNECT with :protocol on HTTP/2): the value of Upgrade / :protocol, else empty.
  std::string upgrade;
  // When the request head was complete (access log duration, {http.request.duration}).
  std::chrono::steady_clock::time_point start;
  size_t headerBytes = 0;  // size of the request head as received
  // Request body bytes handlers have read (access log "bytes_read"); counted by the session.
  uint64_t bodyBytesRead = 0;

  // "path?query" as Go's URL.RequestURI().
  [[nodiscard]] std::string uri() const;
  void clear();
};

// What a handler answers. The session serialises it; handlers never write bytes.
struct Response {
  int status = 0;  // 0: nobody answered yet
  HeaderList headers;
  std::string body;  // used when `stream` is empty
  std::unique_ptr<BodySource> stream;
  // streamLength for a stream whose length is not known in advance (an encoded body): the
  // session frames it as chunked on HTTP/1.1 and closes after it on HTTP/1.0.
  static constexpr uint64_t kUnknownLength = UINT64_MAX;
  uint64_t streamLength = 0;  // exact length of `stream` (Content-Length), or kUnknownLength
  bool close = false;         // close the connection after this response
  bool abort = false;         // drop the connection without a response
  // Go's server sniffs a Content-Type for a body without one from its first bytes; false
  // when the head goes out before any body byte (a handler that flushed it, as Caddy's
  // proxy does for a body of unknown length or with flush_interval -1).
  bool sniff = true;
  // The producer wants the head out before any body byte (reverse_proxy flush_interval -1),
  // so no output stage may hold it back for a body piece.
  bool headAtOnce = false;
  // An output stage decides on the first body piece (encode, for a body of unknown
  // length, as Caddy decides on the first write): the session pulls that piece before it
  // writes the head, as for sniffing, and the stage edits the head on its way through.
  bool headWaits = false;
  // Set with status 101 (HTTP/1.1) or 200 to an extended CONNECT (HTTP/2): after the head
  // the connection becomes a tunnel between the client and this peer.
  TunnelPeer* tunnel = nullptr;
  uint64_t bytesWritten = 0;  // body bytes sent to the client (access log "size")
  // When the head a handler produced went out (caddy_http_response_duration_seconds); unset
  // for the empty 200 of a chain that answered nothing, which Go writes after the handlers,
  // past Caddy's recorders (so the access log says status 0, as Caddy's recorder).
  std::chrono::steady_clock::time_point headAt{};
  void clear();
};

// A handler's error (Caddy's HandlerError): the status the client gets when no
// handle_errors route answers, and what {http.error.*} placeholders print.
struct HandlerError {
  int status = 0;       // 0: no error
  std::string message;  // {http.error.message}
  std::string id;       // {http.error.id}: 9 random characters, as Caddy
  // {http.error.trace}: where caddy 2.6.2 made this error, "pkg.Func (file.go:line)" of the
  // caller of caddyhttp.Error (runtime/error_traces.h); a static string, never owned.
  const char* trace = "";
  bool routed = false;  // the server's error routes already ran for it
  // A Go error that is not a caddyhttp.HandlerError (an expression matcher's evaluation
  // error): status 500, but {http.error.*} are unknown and `respond` in the error routes
  // defaults to 200, as in Caddy 2.6.2.
  bool plain = false;
};

// What reverse_proxy learned about its upstream ({http.reverse_proxy.upstream.*},
// {http.reverse_proxy.status_code} / status_text and the latencies): recorded as plain
// values on the hot path and formatted only when a placeholder asks for one
// (router/proxy_placeholders.cpp); formatting a dozen strings per request that nothing read
// was a fifth of a proxied request's instructions.
struct UpstreamFacts {
  bool chosen = false;  // an upstream was picked: the upstream.* values below hold
  std::string address;  // upstream.address (the dial address)
  std::string hostport;
  std::string host;  // empty for a unix socket
  std::string port;
  uint64_t requests = 0;  // in flight to it when it was picked
  uint64_t maxRequests = 0;
  uint64_t fails = 0;
  bool timed = false;      // the response head arrived: the latencies below hold
  int64_t latencyUs = 0;   // request sent -> response head
  int64_t durationUs = 0;  // handler start -> response head
  int status = 0;          // the upstream's status; 0 before its head
  void clear() {
    chosen = false;
    timed = false;
    status = 0;
  }
};

// Handler results, as Envoy's filter statuses.
enum class Outcome {
  Continue,  // middleware did its part; run the next handler
  Handled,   // the chain stops (a response is set, or a terminal route ended it)
  Paused,    // the chain stops; the handler calls host->resume() later (see exchange_host.h)
};

// A route list a paused chain can go on in: where a handler paused, each enclosing route
// list records the position after it, innermost first (Exchange::chainRest).
class ChainContinuation {
 public:
  virtual ~ChainContinuation() = default;
  // Runs from handler `handler` of route `route` on, as the list's run() would have.
  virtual Outcome runFrom(Exchange& ex, size_t route, size_t handler) const = 0;
  // A subroute's error routes around the paused handler (an error boundary, not a list to
  // go on in): they take an error the chain ended with, as they would have had the handler
  // failed at once. runErrors() is called only on a boundary, with the error unrouted.
  [[nodiscard]] virtual bool errorBoundary() const { return false; }
  virtual Outcome runErrors(Exchange& /*ex*/) const { return Outcome::Handled; }
};
struct ChainFrame {
  const ChainContinuation* list;
  size_t route;
  size_t handler;
};

class Exchange {
 public:
  Request request;
  Response response;
  // {http.vars.*}; strings only (Caddy keeps `any`, but every use prints it).
  std::vector<std::pair<std::string, std::string>> vars;
  // {http.regexp.<name>.<capture>} -> value, keyed "<name>.<capture>".
  std::vector<std::pair<std::string, std::string>> captures;
  UpstreamFacts upstream;  // reverse_proxy's, for its placeholders
  // Route groups already used by this request (Caddy shares one set across subroutes).
  std::vector<std::string_view> usedGroups;
  // Response transforms applied when the head is written (deferred header ops).
  std::vector<const OutputStage*> stages;
  std::string_view serverName;
  // Set by the session before the chain runs; valid for the whole exchange.
  ExchangeHost* host = nullptr;
  // What a paused handler waits for; dropping it cancels the work (exchange_host.h).
  std::unique_ptr<PendingWork> pending;
  // Where the chain goes on when `pending` resumes with Outcome::Continue (innermost first).
  std::vector<ChainFrame> chainRest;
  HandlerError error;
  // Metrics ids of the instrumented handlers that ran, in order: as in Caddy, each one is
  // counted with the exchange's final status when it is over.
  std::vector<uint32_t> handlerTrace;

  [[nodiscard]] const std::string* var(std::string_view name) const;
  void setVar(std::string_view name, std::string value);
  void setCapture(std::string key, std::string value);

  // Sets a complete response; returns Outcome::Handled so handlers can `return ex.respond(...)`.
  Outcome respond(int status, std::string body = {});
  // Caddy's handler error: recorded in `error` (handle_errors routes see it) and, for
  // servers without error routes, answered with the status and an empty body.
  // `trace` is one of runtime/error_traces.h.
  Outcome fail(int status, std::string message, const char* trace);
  [[nodiscard]] bool responded() const { return response.status != 0 || response.abort; }

  void clear();
};

// Rewrites a response head before it is written (like h2o's ostream). Immutable config
// objects shared by all workers; per-request state comes from the Exchange.
class OutputStage {
 public:
  virtual ~OutputStage() = default;
  virtual void onHead(Exchange& ex) const = 0;
};

}  // namespace gatehouse::runtime
