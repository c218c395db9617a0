#pragma once
// One request on an HTTP/2 connection to an upstream (UpstreamH2Session), seen by its
// ProxyCall as an UpstreamConnection is: the same Listener callbacks report the head, the
// body, the end and failures. The request body goes out through an nghttp2 data provider
// one pulled piece at a time (onUpstreamWritten asks for the next), so the upstream's flow
// control window is the back-pressure on the client; the response body's window is only
// reopened (consumed) as the client takes the bytes. Destroying an unfinished stream
// resets it (RST_STREAM CANCEL). Loop thread only.

#include <nghttp2/nghttp2.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "gatehouse/runtime/header_list.h"
#include "proxy/gzip_inflater.h"
#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

class UpstreamH2Session;

// What a stream's owner hears besides the HTTP/1 listener's callbacks.
class H2StreamListener : public UpstreamConnection::Listener {
 public:
  // The TLS upstream did not select h2: `conn` (connected, speaking HTTP/1.1) is handed to
  // the first waiting stream's owner, nullptr to the others (they try again).
  virtual void onUpstreamFallback(std::unique_ptr<UpstreamConnection> conn) = 0;
};

// The request as HTTP/2 sends it: pseudo-fields and lower-case fields without the
// connection-specific ones.
struct H2RequestHead {
  std::string method;
  std::string scheme;
  std::string authority;
  std::string path;
  runtime::HeaderList fields;
  bool body = false;  // DATA frames follow (else END_STREAM on HEADERS)
};

class UpstreamH2Stream {
 public:
  UpstreamH2Stream(UpstreamH2Session& session, H2StreamListener& listener);
  ~UpstreamH2Stream();
  UpstreamH2Stream(const UpstreamH2Stream&) = delete;
  UpstreamH2Stream& operator=(const UpstreamH2Stream&) = delete;

  // Sends the HEADERS frame (the session must be connected). `decodeGzip`: the proxy asked
  // for gzip itself (Go's HTTP/2 transport does too), so a gzip answer is decoded.
  void submit(const H2RequestHead& head, bool headRequest, bool decodeGzip = false);
  // Queues one request body piece; onUpstreamWritten follows once nghttp2 took it all.
  void sendBody(std::string_view data, bool eof);
  // The client took `n` response body bytes: the upstream may send that many more (a
  // decoded gzip answer: decoding goes on; its window reopens as compressed bytes decode).
  void consumed(size_t n);
  // The client is full: a gzip answer stops decoding (the rest waits compressed, within the
  // stream's window). Without gzip the window alone holds the upstream back.
  void pauseDecoding() { paused_ = true; }

  // The session was connected when this stream joined it (a reused connection).
  [[nodiscard]] bool reused() const { return reused_; }
  [[nodiscard]] bool connected() const;
  // The upstream refused the stream or a GOAWAY excluded it: it was not processed, so it
  // can be retried on another connection.
  [[nodiscard]] bool unprocessed() const { return unprocessed_; }
  [[nodiscard]] const std::string& failure() const { return failure_; }

  // The session's side.
  H2StreamListener& listener() { return listener_; }
  [[nodiscard]] int32_t id() const { return id_; }
  void onHeader(std::string_view name, std::string_view value);
  void onHeadersDone(bool endStream);
  void onData(std::string_view data);
  void onEndStream();
  void onClosed(uint32_t errorCode);
  // The session failed or went away: the stream ends with `uvError` unless it ended already.
  void onSessionGone(int uvError, std::string why);
  void failSubmit(int uvError, std::string why);
  ssize_t readBody(uint8_t* buf, size_t length, uint32_t* flags);
  // Transparent gzip (upstream_h2_stream_gzip.cpp).
  void startGzip(bool endStream);
  void inflate(std::string_view data);
  void resumeDecoding();
  [[nodiscard]] bool gzipBusy() const { return gunzip_ && (!gzStash_.empty() || gunzip_->moreOutput()); }
  void finishEnd();
  void reopen(size_t n);
  // nghttp2 took the whole piece: the owner may pull the next (called outside nghttp2).
  bool takeWrittenNotice() { return std::exchange(wroteAll_, false); }

 private:
  UpstreamH2Session* session_;
  H2StreamListener& listener_;
  int32_t id_ = 0;
  ResponseHead head_;
  size_t headerBytes_ = 0;
  size_t unconsumed_ = 0;  // response body bytes received, not yet taken by the client
  std::string pending_;    // request body bytes nghttp2 has not taken yet
  size_t pendingAt_ = 0;   // how much of pending_ it took
  bool bodyEof_ = false;
  bool requestDone_ = false;  // END_STREAM went to nghttp2 (no body, or the body's last byte)
  // Set while a listener callback runs that may destroy this stream (its owner finishing
  // the exchange at once): cleared by the destructor, so the caller stops touching it.
  bool* alive_ = nullptr;
  bool deferred_ = false;  // the data provider returned NGHTTP2_ERR_DEFERRED
  bool wroteAll_ = false;
  bool headDone_ = false;  // the final (non-1xx) head arrived
  bool ended_ = false;     // END_STREAM from the upstream
  bool closed_ = false;
  bool reused_ = false;
  bool unprocessed_ = false;
  bool headRequest_ = false;
  std::string failure_;
  bool decodeGzip_ = false;
  std::unique_ptr<GzipInflater> gunzip_;
  std::string gzStash_;      // compressed bytes not decoded yet (the client was full)
  bool paused_ = false;      // the client is full: decoding waits
  bool endPending_ = false;  // END_STREAM came while gzStash_ still held bytes
  bool broken_ = false;      // the gzip data was bad: nothing more reaches the listener

  friend class UpstreamH2Session;
  friend struct H2Callbacks;
};

}  // namespace gatehouse::proxy
